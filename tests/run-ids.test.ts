/**
 * Pinned run ids of every run kind, through the CLI as a user makes them. A run's id is the hash of
 * its non-default hyperparameters: a refactor that changes one of these orphans every stored run of
 * that kind. Update a pin only when the change is intended, and say why in the commit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { RunStore } from '../src/store/store.js';
import { sprigJson, tempRoot } from './helpers.js';

const TINY = ['--dataset', 'synthetic', '--batch-size', '64', '--quiet'];

/** Runs `commands` in a fresh store; every run id it indexed or made a directory for, sorted. */
function idsOf(...commands: string[][]): string[] {
  const root = tempRoot('sprig-ids-');
  try {
    for (const args of commands) sprigJson([...args, ...TINY, '--root', root]);
    const store = new RunStore(root);
    const indexed = store.index.list().map((r) => r.runId);
    store.close();
    // the bootstrap and gradflow experiments are directories that the index does not list
    const dirs = readdirSync(root).filter((d) => /_[0-9a-f]{16}$/.test(d));
    return [...new Set([...indexed, ...dirs])].sort();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const PRINT = process.env.SPRIG_PRINT_IDS === '1';
function pin(name: string, actual: string[], expected: string[]) {
  if (PRINT) console.log(name, JSON.stringify(actual, null, 2));
  assert.deepEqual(actual, expected, `${name}: run ids changed`);
}

test('run ids: train', () => {
  pin(
    'train',
    idsOf(
      ['train', '--model', 'mlp_8', '--train-steps', '1it'],
      ['train', '--model', 'mlp_8', '--train-steps', '1it', '--lr', '0.05', '--lr-schedule', 'cosine'],
    ),
    ['train_10fe73d4fd5804bd', 'train_e7fdb3867e8b1202'],
  );
});

test('run ids: dst, every method, M× and a step-valued T_end', () => {
  const dst = ['dst', '--model', 'mlp_16', '--train-steps', '8it', '--delta-t', '2', '--sparsity', '0.8'];
  pin(
    'dst',
    idsOf(
      [...dst, '--methods', 'dense,small_dense,static,snip,set,snfs,rigl,gmp', '--seeds', '0'],
      [...dst, '--method', 'rigl', '--multiplier', '2', '--t-end', '4it', '--distribution', 'uniform'],
    ),
    [
      'dst_0ef734798c77c487',
      'dst_1ac7ba2ba82d3523',
      'dst_5f22a652b80d7acd',
      'dst_75516c423927cfe6',
      'dst_95c9c9543e776a5e',
      'dst_c5613a026a80d840',
      'dst_d2af738391bcb9a3',
      'dst_da7101de4b73de49',
      'dst_f5f0643719296ebb',
    ],
  );
});

test('run ids: lottery levels, one-shot and branches', () => {
  pin(
    'lottery',
    idsOf([
      'lottery',
      '--model',
      'mlp_8',
      '--train-steps',
      '2it',
      '--levels',
      '1',
      '--one-shot',
      '0.5',
      '--rewind',
      '1it',
      '--branches',
      'reinit,random_mask,kd,kd_rewind,retrain,lr_rewind,basis:dct',
      '--retrain',
      '{"lr":0.05}',
      '--basis-block',
      '4',
    ]),
    [
      'lottery_c7ffce5863e5e054',
      'lottery_c7ffce5863e5e054.oneshot',
      'lottery_c7ffce5863e5e054.r0.L0',
      'lottery_c7ffce5863e5e054.r0.L1',
      'lottery_c7ffce5863e5e054.r0.L1.basis_dct_424e41545ce655e2',
      'lottery_c7ffce5863e5e054.r0.L1.kd_778f22b0afef6356',
      'lottery_c7ffce5863e5e054.r0.L1.kd_rewind_8065cf00e3034d20',
      'lottery_c7ffce5863e5e054.r0.L1.lr_rewind_589b9731b2945b32',
      'lottery_c7ffce5863e5e054.r0.L1.random_mask_916adb33d7139929',
      'lottery_c7ffce5863e5e054.r0.L1.reinit_71dacb991ab124d5',
      'lottery_c7ffce5863e5e054.r0.L1.retrain_b47cdd8c424b7974',
      'lottery_c7ffce5863e5e054.r0.S0.5',
      'lottery_c7ffce5863e5e054.r0.S0.5.basis_dct_424e41545ce655e2',
      'lottery_c7ffce5863e5e054.r0.S0.5.kd_778f22b0afef6356',
      'lottery_c7ffce5863e5e054.r0.S0.5.kd_rewind_8065cf00e3034d20',
      'lottery_c7ffce5863e5e054.r0.S0.5.lr_rewind_589b9731b2945b32',
      'lottery_c7ffce5863e5e054.r0.S0.5.random_mask_916adb33d7139929',
      'lottery_c7ffce5863e5e054.r0.S0.5.reinit_71dacb991ab124d5',
      'lottery_c7ffce5863e5e054.r0.S0.5.retrain_b47cdd8c424b7974',
    ],
  );
});

test('run ids: bootstrap and its worlds', () => {
  pin(
    'bootstrap',
    idsOf(['bootstrap', '--models', 'mlp_8', '--n', '64', '--train-steps', '2it', '--log-every', '1it']),
    ['bootstrap_96dd26940708ee7c', 'bootstrap_ideal_b9455dadc48f341a', 'bootstrap_real_2f7559c7baddbdb4'],
  );
});

test('run ids: gradflow and its child runs', () => {
  pin(
    'gradflow',
    idsOf([
      'gradflow',
      '--model',
      'mlp_8',
      '--train-steps',
      '4it',
      '--sparsity',
      '0.8',
      '--log-every',
      '2it',
      '--grad-batch',
      '32',
      '--delta-t',
      '2',
      '--gmp-frequency',
      '1',
      '--interpolation-points',
      '2',
    ]),
    [
      'gradflow_c3487eaf9b086c7a',
      'gradflow_run_0adf2ebd4f471d65',
      'gradflow_run_92113674ca655f86',
      'gradflow_run_a85810a575802e75',
      'gradflow_run_ab2c577a1dc555c0',
      'gradflow_run_ba52490fa427bce2',
      'gradflow_run_f8637eca88b54158',
    ],
  );
});

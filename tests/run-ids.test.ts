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

test('run ids: dst, every method (magnitude_init added), M× and a step-valued T_end', () => {
  const dst = ['dst', '--model', 'mlp_16', '--train-steps', '8it', '--delta-t', '2', '--sparsity', '0.8'];
  pin(
    'dst',
    idsOf(
      [...dst, '--methods', 'dense,small_dense,static,snip,set,snfs,rigl,gmp,magnitude_init', '--seeds', '0'],
      [...dst, '--method', 'rigl', '--multiplier', '2', '--t-end', '4it', '--distribution', 'uniform'],
    ),
    [
      'dst_0ef734798c77c487',
      'dst_1ac7ba2ba82d3523',
      'dst_439b4db5f4d681db',
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
    // issue 21: scratch and scratch+ train the pruning solution's mask now (their ids hash
    // mask: 'pruned', two ids changed), and random_mask (the old scratch) is a run of its own
    [
      'gradflow_c3487eaf9b086c7a',
      'gradflow_run_8ea8c07476cf14d3',
      'gradflow_run_92113674ca655f86',
      'gradflow_run_a85810a575802e75',
      'gradflow_run_ab2c577a1dc555c0',
      'gradflow_run_b376029c6b10b633',
      'gradflow_run_f0b7106f476032e8',
      'gradflow_run_f8637eca88b54158',
    ],
  );
});

test('run ids: gradflow with every gradflow field off its default', () => {
  const g = ['gradflow', '--model', 'mlp_8', '--train-steps', '8it', '--grad-batch', '32'];
  pin(
    'gradflow fields',
    idsOf([
      ...g,
      ...['--sparsity', '0.7', '--distribution', 'erk', '--dense-first-layer', '--log-every', '4it'],
      ...['--init-scale', '3', '--gmp-begin', '0.2', '--gmp-end', '0.7', '--gmp-frequency', '2'],
      ...['--delta-t', '3', '--drop-fraction', '0.2', '--t-end', '0.5', '--interpolation-points', '2'],
    ]),
    // issue 21: scratch and scratch+ changed ids (mask: 'pruned'); random_mask is new
    [
      'gradflow_2e25975a05504124',
      'gradflow_run_25a0cc9602982a20',
      'gradflow_run_3aa1997cf5d15cf6',
      'gradflow_run_3f4fd24318930e9c',
      'gradflow_run_42566d3e586b0fed',
      'gradflow_run_64d837a5aa34abe8',
      'gradflow_run_94646b6891539556',
      'gradflow_run_eb18f79ae3e13ddb',
    ],
  );
});

/**
 * Every method's dst run id with each field of the dst group off its default (and the plain
 * method), hashed without training: a change to how the group is validated, normalised or split
 * per method must leave each of these ids as it is.
 */
test('run ids: dst, every method with every dst field off its default', async () => {
  const { dstHparamsSchema, dstRunId, normaliseDst } = await import('../src/experiments/dst.js');
  const { validate } = await import('../src/experiments/hparams.js');
  const { methodNames } = await import('../src/algorithms/index.js');
  const offDefault = {
    sparsity: 0.8,
    distribution: 'uniform',
    denseFirstLayer: false,
    powerScale: 2,
    densities: { 'fc1.weight': 0.3 },
    deltaT: 7,
    dropFraction: 0.2,
    dropDecay: 'inverse_power',
    decayPower: 2,
    tEnd: '3ep',
    init: 'unit_scaled',
    initScale: 3,
    multiplier: 2,
    gmpBegin: 0.2,
    gmpEnd: '4ep',
    gmpFrequency: 3,
    gmpInitialSparsity: 0.1,
    snfsMomentum: 0.8,
  };
  const id = (dst: Record<string, unknown>, training: Record<string, unknown> = {}) =>
    dstRunId(normaliseDst(validate(dstHparamsSchema, { dst, training })));
  const ids: Record<string, string[]> = {};
  for (const method of methodNames)
    ids[method] = [
      id({ method }),
      id({ method, ...offDefault }),
      id({ method, init: 'unit_scaled' }),
      id({ method, multiplier: 3 }, { warmup: '2it' }),
    ];
  if (PRINT) console.log('dst per method', JSON.stringify(ids, null, 2));
  assert.deepEqual(ids, PER_METHOD, 'dst per method: run ids changed');
});

/** [plain, every field off its default, unit_scaled init, M = 3 with a warm-up] per method. */
const PER_METHOD: Record<string, string[]> = {
  dense: ['dst_f0a510565d8c6454', 'dst_3baa26d2572dd9cd', 'dst_f0a510565d8c6454', 'dst_d60f0f700fa31206'],
  small_dense: [
    'dst_834d570e81d85c9f',
    'dst_bed2a28e1f4ace8a',
    'dst_834d570e81d85c9f',
    'dst_426fb25da9c08ede',
  ],
  static: ['dst_e65bddf9b7805dac', 'dst_08ce452278436138', 'dst_c845ddf0232b4be7', 'dst_68bb8b9926bfbbfa'],
  snip: ['dst_818937033c61a911', 'dst_f9c9883f9ec8c5cf', 'dst_359beb5e7119d395', 'dst_4470c0256db61c9e'],
  set: ['dst_9375507d47a7a69d', 'dst_4e542790587624fb', 'dst_2f9e5b681d7f48a9', 'dst_98af2476d55b3446'],
  snfs: ['dst_a47ae7eeb3d731fa', 'dst_b30650c222a6cb1a', 'dst_c4cd4c854e9d85a1', 'dst_e6117e507a2bc972'],
  rigl: ['dst_44136fa355b3678a', 'dst_2d4a719f2f9cb791', 'dst_4ed50ba5533c62e3', 'dst_c665eef62745eb12'],
  gmp: ['dst_83ad3e901ac810c6', 'dst_e84084263a581836', 'dst_83ad3e901ac810c6', 'dst_3af464fff042c8dd'],
  magnitude_init: [
    'dst_32c9dbfa0ff4c8fc',
    'dst_5d22a1cd8129073e',
    'dst_d3332434b18f2c70',
    'dst_76ea1db4825e46eb',
  ],
};

/**
 * The sweep adapter names each run as its command does: the run ids pinned through the CLI in
 * tests/run-ids.test.ts, reached from sweep keys (flags in camelCase, schema `group.key`s, flag names).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRun } from '../src/sweep/kinds.js';

const TINY = { dataset: 'synthetic', batchSize: 64 };
const id = (kind: Parameters<typeof planRun>[0], params: Parameters<typeof planRun>[1]) =>
  planRun(kind, { ...TINY, ...params }, {}).runId;

test('sweep keys give the pinned run ids of every kind', () => {
  const trainIds = [
    id('train', { model: 'mlp_8', trainSteps: '1it' }),
    id('train', { 'model.name': 'mlp_8', 'training.trainSteps': '1it', lr: 0.05, 'lr-schedule': 'cosine' }),
  ];
  assert.deepEqual(trainIds.sort(), ['train_10fe73d4fd5804bd', 'train_e7fdb3867e8b1202']);
  const dst = { model: 'mlp_16', trainSteps: '8it', deltaT: 2, sparsity: 0.8 };
  const methods = ['dense', 'small_dense', 'static', 'snip', 'set', 'snfs', 'rigl', 'gmp'];
  const dstIds = [
    ...methods.map((method) => id('dst', { ...dst, method, seed: 0 })),
    id('dst', { ...dst, method: 'rigl', multiplier: 2, tEnd: '4it', distribution: 'uniform' }),
  ];
  assert.deepEqual(dstIds.sort(), [
    'dst_0ef734798c77c487',
    'dst_1ac7ba2ba82d3523',
    'dst_5f22a652b80d7acd',
    'dst_75516c423927cfe6',
    'dst_95c9c9543e776a5e',
    'dst_c5613a026a80d840',
    'dst_d2af738391bcb9a3',
    'dst_da7101de4b73de49',
    'dst_f5f0643719296ebb',
  ]);
  const lottery = {
    model: 'mlp_8',
    trainSteps: '2it',
    levels: 1,
    oneShot: 0.5,
    rewind: '1it',
    branches: ['reinit', 'random_mask', 'kd', 'kd_rewind', 'retrain', 'lr_rewind', 'basis:dct'],
    retrain: '{"lr":0.05}',
    basisBlock: 4,
  };
  const planned = planRun('lottery', { ...TINY, ...lottery }, {});
  assert.equal(planned.runId, 'lottery_c7ffce5863e5e054');
  assert.equal(planned.complete, false, "a lottery's branches are not in its run id");
  assert.notEqual(planRun('lottery', { ...TINY, ...lottery, levels: 2 }, {}).key, planned.key);
  assert.equal(
    id('bootstrap', { models: 'mlp_8', n: 64, trainSteps: '2it', logEvery: '1it' }),
    'bootstrap_96dd26940708ee7c',
  );
  assert.equal(
    id('gradflow', {
      model: 'mlp_8',
      trainSteps: '4it',
      sparsity: 0.8,
      logEvery: '2it',
      gradBatch: 32,
      deltaT: 2,
      gmpFrequency: 1,
      interpolationPoints: 2,
    }),
    'gradflow_c3487eaf9b086c7a',
  );
});

test('a dst run with M× and a warm-up gets the id planDst gives it (marked)', async () => {
  const { planDst } = await import('../src/experiments/dst.js');
  const { dstHparamsFromFlags } = await import('../src/cli/dst.js');
  const params = { ...TINY, model: 'mlp_8', trainSteps: '4it', method: 'rigl', multiplier: 2, warmup: '2it' };
  const planned = planRun('dst', params, {});
  const flags = { ...params, dataset: 'synthetic', root: '.' };
  assert.equal(planned.runId, planDst(dstHparamsFromFlags(flags)).runId);
  assert.notEqual(planned.runId, planRun('dst', { ...params, warmup: '0it' }, {}).runId);
});

test('switches map to both forms of their flag', () => {
  const on = planRun('train', { ...TINY, nesterov: true }, {});
  const off = planRun('train', { ...TINY, nesterov: false }, {});
  assert.ok(on.args.includes('--nesterov'));
  assert.ok(off.args.includes('--no-nesterov'));
  assert.equal(off.runId, planRun('train', TINY, {}).runId, 'false is the default: same run');
});

test('a bootstrap run whose n is not a multiple of the batch: the sweep names it as the command stores it', async () => {
  const { rmSync } = await import('node:fs');
  const { sprigJson, tempRoot } = await import('./helpers.js');
  const params = { models: 'mlp_8', n: 100, trainSteps: '1it', logEvery: '1it' };
  const root = tempRoot('sprig-sweep-bootstrap-');
  try {
    const ran = sprigJson<{ runId: string }>([
      ...['bootstrap', '--dataset', 'synthetic', '--batch-size', '64', '--models', 'mlp_8'],
      ...['--n', '100', '--train-steps', '1it', '--log-every', '1it', '--quiet', '--root', root],
    ]);
    // 100 % 64 ≠ 0: the run id carries the partial-batch mark, which the sweep once left out
    assert.equal(id('bootstrap', params), ran.runId);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

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
  assert.deepEqual(trainIds.sort(), ['train_5b3a59c7a2a9a01b', 'train_823088f9cd28613d']);
  const dst = { model: 'mlp_16', trainSteps: '8it', deltaT: 2, sparsity: 0.8 };
  const methods = ['dense', 'small_dense', 'static', 'snip', 'set', 'snfs', 'rigl', 'gmp'];
  const dstIds = [
    ...methods.map((method) => id('dst', { ...dst, method, seed: 0 })),
    id('dst', { ...dst, method: 'rigl', multiplier: 2, tEnd: '4it', distribution: 'uniform' }),
  ];
  assert.deepEqual(dstIds.sort(), [
    'dst_17dbf84b1434790d',
    'dst_1de3d9ede350a4d4',
    'dst_3bb7cc9561f78dd7',
    'dst_61bea78b1776ffdb',
    'dst_7fd9cb93dc2c9db3',
    'dst_ae4757bb81e64371',
    'dst_c7103126fceeb616',
    'dst_d5154729e115167e',
    'dst_f4a13d1f34779d8e',
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
  assert.equal(planned.runId, 'lottery_669df53d8b2e33b4');
  assert.equal(planned.complete, false, "a lottery's branches are not in its run id");
  assert.notEqual(planRun('lottery', { ...TINY, ...lottery, levels: 2 }, {}).key, planned.key);
  assert.equal(
    id('bootstrap', { models: 'mlp_8', n: 64, trainSteps: '2it', logEvery: '1it' }),
    'bootstrap_d9b1227cce9cd4d8',
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
    'gradflow_d99421c4ad09a050', // gradflow recipe 2 (issue 21)
  );
});

test('a dst run with M× and a warm-up gets the id planDst gives it (marked)', async () => {
  const { planDst } = await import('../src/experiments/dst.js');
  const { hparamsFromFlags } = await import('../src/experiments/schema-flags.js');
  const params = { ...TINY, model: 'mlp_8', trainSteps: '4it', method: 'rigl', multiplier: 2, warmup: '2it' };
  const planned = planRun('dst', params, {});
  const flags = { ...params, dataset: 'synthetic', root: '.' };
  assert.equal(planned.runId, planDst(hparamsFromFlags('dst', flags)).runId);
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

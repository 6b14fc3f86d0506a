/**
 * Sparse engine against masked-dense, per method: the same run (tiny MLP, synthetic data, a few
 * hundred steps) with --sparse-engine on and off ends with the same weights to float tolerance and
 * the same masks. Covers static, SNIP, SET, RigL, SNFS, GMP, an IMP-style bare mask, and Adam.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset } from '../src/data/registry.js';
import { createModel } from '../src/models/registry.js';
import { train, type SparseUpdater, type TrainOptions, type TrainResult } from '../src/training/loop.js';
import { streamSource } from '../src/training/sources.js';
import { Rng } from '../src/util/rng.js';
import { denseMasks, randomMasks } from '../src/sparsity/index.js';
import { METHODS, type MethodName } from '../src/algorithms/index.js';
import { setSparseEngine } from '../src/engine/kernels/sparse-engine.js';
import { assertSameMasksAndWeights } from './same-training.js';

const STEPS = 240;
const ds = loadDataset({ name: 'synthetic' });

function run(
  method: MethodName | 'imp',
  engine: 'on' | 'off',
  optimizer: 'sgd' | 'adam' = 'sgd',
): TrainResult {
  setSparseEngine(engine);
  try {
    const model = createModel('mlp_96_48', ds.inputShape, ds.numClasses);
    // every layer sparse, the output layer too (the sparse op then covers a linear layer)
    const densities = new Map(model.specs.filter((s) => s.prunable).map((s) => [s.name, 0.2]));
    const start = method === 'imp' ? 'random' : METHODS[method].start;
    const masks =
      start === 'dense' ? denseMasks(model.specs) : randomMasks(model.specs, densities, new Rng(11));
    const sparse =
      method === 'imp'
        ? { masks }
        : METHODS[method].create({
            specs: model.specs,
            masks,
            densities,
            schedule: { dropFraction: 0.3, deltaT: 40, tEnd: 200, decay: 'cosine' },
            gmp: { begin: 20, end: 160, frequency: 20, initialSparsity: 0 },
          });
    return train({
      model,
      source: streamSource(ds.train, { batchSize: 24, seed: 3 }),
      test: ds.test,
      inputShape: ds.inputShape,
      optimizer: {
        optimizer,
        momentum: 0.9,
        nesterov: false,
        weightDecay: 5e-4,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
      },
      lr: {
        lr: optimizer === 'adam' ? 1e-3 : 0.05,
        lrSchedule: 'constant',
        milestones: [],
        gamma: 0.1,
        warmup: 0,
      },
      totalSteps: STEPS,
      itersPerEpoch: 120,
      seed: 5,
      sparse,
    });
  } finally {
    setSparseEngine('auto');
  }
}

function compare(label: string, a: TrainResult, b: TrainResult): void {
  assertSameMasksAndWeights(label, a, b);
  assert.ok(
    Math.abs(a.test.loss - b.test.loss) < 1e-3,
    `${label}: test loss ${a.test.loss} vs ${b.test.loss}`,
  );
}

for (const method of ['static', 'snip', 'set', 'rigl', 'snfs', 'gmp', 'imp'] as const) {
  test(`${method}: the sparse engine ends where masked-dense ends`, () => {
    const sparse = run(method, 'on');
    const dense = run(method, 'off');
    assert.ok(
      sparse.sparseLayers?.some((l) => l.engine === 'sparse'),
      `${method}: some layer ran sparse`,
    );
    assert.ok(dense.sparseLayers?.every((l) => l.engine === 'dense'));
    compare(method, sparse, dense);
  });
}

test('static with Adam: the sparse engine ends where masked-dense ends', () => {
  compare('adam', run('static', 'on', 'adam'), run('static', 'off', 'adam'));
});

test('the run observers pass the updater’s dense-gradient answer through (sparse layers stay sparse in stored runs)', async () => {
  const { observeRun } = await import('../src/experiments/run-observers.js');
  const masks = new Map([['a', new Float32Array(4).fill(1)]]);
  const wrap = (sparse: SparseUpdater) =>
    observeRun({ sparse, totalSteps: 100 } as unknown as TrainOptions, () => {}).sparse!;
  const rigl = { masks, beforeStep: () => false, denseGradients: (s: number) => s === 50 };
  assert.equal(wrap(rigl).denseGradients!(49), false);
  assert.equal(wrap(rigl).denseGradients!(50), true);
  assert.equal(wrap({ masks }).denseGradients!(3), false);
});

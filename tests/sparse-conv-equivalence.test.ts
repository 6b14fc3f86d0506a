/**
 * Sparse conv layers in training: Conv-2 on 8×8 synthetic images, a few dozen steps, with
 * --sparse-engine on (both convs on the sparse conv kernels, the FC layers on the sparse linear
 * ones) and off (masked-dense) ends with the same weights to float tolerance and the same masks:
 * static, SET and RigL (mask updates every ΔT, RigL's dense gradients on its update steps).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset } from '../src/data/registry.js';
import { createModel } from '../src/models/registry.js';
import { train, type TrainResult } from '../src/training/loop.js';
import { streamSource } from '../src/training/sources.js';
import { Rng } from '../src/util/rng.js';
import { randomMasks } from '../src/sparsity/index.js';
import { METHODS } from '../src/algorithms/index.js';
import { setSparseEngine } from '../src/engine/kernels/sparse-engine.js';
import { assertSameMasksAndWeights } from './same-training.js';

const ds = loadDataset({ name: 'synthetic' });

function run(method: 'static' | 'set' | 'rigl', engine: 'on' | 'off'): TrainResult {
  setSparseEngine(engine);
  try {
    const model = createModel('cifar_conv2', ds.inputShape, ds.numClasses);
    const densities = new Map(model.specs.filter((s) => s.prunable).map((s) => [s.name, 0.3]));
    const masks = randomMasks(model.specs, densities, new Rng(7));
    const sparse = METHODS[method].create({
      specs: model.specs,
      masks,
      densities,
      schedule: { dropFraction: 0.3, deltaT: 20, tEnd: 60, decay: 'cosine' },
      gmp: { begin: 0, end: 1, frequency: 1, initialSparsity: 0 },
    });
    return train({
      model,
      source: streamSource(ds.train, { batchSize: 16, seed: 3 }),
      test: ds.test,
      inputShape: ds.inputShape,
      optimizer: {
        optimizer: 'sgd',
        momentum: 0.9,
        nesterov: false,
        weightDecay: 5e-4,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
      },
      lr: { lr: 0.02, lrSchedule: 'constant', milestones: [], gamma: 0.1, warmup: 0 },
      totalSteps: 70,
      itersPerEpoch: 70,
      seed: 5,
      sparse,
    });
  } finally {
    setSparseEngine('auto');
  }
}

for (const method of ['static', 'set', 'rigl'] as const) {
  test(`${method}: sparse conv layers end where masked-dense conv layers end`, () => {
    const a = run(method, 'on'),
      b = run(method, 'off');
    assert.ok(
      a.sparseLayers?.some((l) => l.layer.startsWith('conv') && l.engine === 'sparse'),
      'a conv layer ran sparse',
    );
    assertSameMasksAndWeights(method, a, b);
  });
}

/**
 * The compiled engine against TF.js, the reference: LeNet-300-100 (on synthetic 8×8 inputs) trained
 * a few hundred steps with each engine ends at the same weights to float tolerance and the same
 * masks, for {SGD with momentum, Adam} × {dense, static, RigL}; evaluation inside the run agrees;
 * what the plan cannot compile runs on TF.js and says why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { artifactsOf, modelJsonOf, weightBytes } from '../src/export/tfjs.js';
import { readLayersModel } from '../src/models/layers-model.js';
import { sprigJson, tempRoot, TINY_TRAIN } from './helpers.js';
import { loadDataset } from '../src/data/registry.js';
import { createModel } from '../src/models/registry.js';
import { train, type TrainOptions, type TrainResult } from '../src/training/loop.js';
import { streamSource } from '../src/training/sources.js';
import { crossEntropyLoss, kdLoss } from '../src/training/losses.js';
import { Rng } from '../src/util/rng.js';
import { denseMasks, randomMasks } from '../src/sparsity/index.js';
import { METHODS } from '../src/algorithms/index.js';
import { nativeAddon, tf } from '../src/engine/index.js';
import { assertSameMasksAndWeights } from './same-training.js';

const STEPS = 300;
const ds = loadDataset({ name: 'synthetic' });
const native = !!nativeAddon();

type Method = 'dense' | 'static' | 'rigl' | 'set' | 'gmp';

function options(
  method: Method,
  optimizer: 'sgd' | 'adam',
  engine: 'tfjs' | 'compiled',
  batchSize = 24,
): TrainOptions {
  const model = createModel('mnist_lenet_300_100', ds.inputShape, ds.numClasses);
  // the hidden layers at 10 % run on the sparse kernels; the small output layer stays masked-dense
  const densities = new Map(model.specs.filter((s) => s.prunable).map((s) => [s.name, 0.1]));
  const sparse =
    method === 'dense'
      ? undefined
      : METHODS[method].create({
          specs: model.specs,
          masks:
            METHODS[method].start === 'dense'
              ? denseMasks(model.specs)
              : randomMasks(model.specs, densities, new Rng(11)),
          densities,
          schedule: { dropFraction: 0.3, deltaT: 50, tEnd: 250, decay: 'cosine' },
          gmp: { begin: 20, end: 160, frequency: 20, initialSparsity: 0 },
        });
  return {
    model,
    source: streamSource(ds.train, { batchSize, seed: 3 }),
    test: ds.test,
    inputShape: ds.inputShape,
    optimizer: {
      optimizer,
      momentum: 0.9,
      nesterov: optimizer === 'sgd',
      weightDecay: 5e-4,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
    },
    lr: {
      lr: optimizer === 'adam' ? 1e-3 : 0.02,
      lrSchedule: 'constant',
      milestones: [],
      gamma: 0.1,
      warmup: 0,
    },
    totalSteps: STEPS,
    itersPerEpoch: 100,
    seed: 5,
    sparse,
    loss: crossEntropyLoss(0.1),
    engine,
  };
}

/** A Sequential LayersModel with Dropout and tanh/sigmoid layers, saved and read back as a sprig model. */
async function userMlp(): Promise<ReturnType<typeof readLayersModel>> {
  const lm = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [8, 8, 1] }),
      tfl.layers.dense({ units: 96, activation: 'relu' }),
      tfl.layers.dropout({ rate: 0.2 }),
      tfl.layers.dense({ units: 48 }),
      tfl.layers.activation({ activation: 'tanh' }),
      tfl.layers.dense({ units: 32, activation: 'sigmoid' }),
      tfl.layers.dense({ units: ds.numClasses, activation: 'softmax' }),
    ],
  });
  const a = await artifactsOf(lm);
  const dir = join(tempRoot(), 'mlp');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJsonOf(a, {})));
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(weightBytes(a)));
  return readLayersModel(join(dir, 'model.json'), ds.inputShape, ds.numClasses);
}

function compare(label: string, a: TrainResult, b: TrainResult): void {
  assertSameMasksAndWeights(label, a, b);
  for (const [i, e] of a.history.entries()) {
    const f = b.history[i]!;
    assert.ok(
      Math.abs(e.test.loss - f.test.loss) < 1e-3,
      `${label}: epoch ${e.epoch} test loss ${e.test.loss} vs ${f.test.loss}`,
    );
    assert.ok(Math.abs(e.trainLoss - f.trainLoss) < 1e-3, `${label}: epoch ${e.epoch} train loss`);
  }
}

for (const optimizer of ['sgd', 'adam'] as const)
  for (const method of ['dense', 'static', 'rigl'] as const)
    test(
      `LeNet-300-100, ${method}, ${optimizer}: the compiled step ends where TF.js ends`,
      { skip: !native },
      () => {
        const compiled = train(options(method, optimizer, 'compiled'));
        assert.deepEqual(compiled.stepEngine, { engine: 'compiled', reason: undefined });
        if (method !== 'dense') assert.ok(compiled.sparseLayers?.some((l) => l.engine === 'sparse'));
        compare(`${method}/${optimizer}`, train(options(method, optimizer, 'tfjs')), compiled);
      },
    );

for (const method of ['set', 'gmp'] as const)
  test(`LeNet-300-100, ${method}, sgd: the compiled step ends where TF.js ends`, { skip: !native }, () => {
    compare(method, train(options(method, 'sgd', 'tfjs')), train(options(method, 'sgd', 'compiled')));
  });

test(
  'LeNet-300-100, static at batch 4 (the small-batch sparse forward): compiled ends where TF.js ends',
  { skip: !native },
  () => {
    const o = (engine: 'tfjs' | 'compiled') => ({ ...options('static', 'sgd', engine, 4), totalSteps: 120 });
    compare('batch 4', train(o('tfjs')), train(o('compiled')));
  },
);

for (const optimizer of ['sgd', 'adam'] as const)
  test(
    `a LayersModel MLP (dropout, tanh, sigmoid), static 30 %, ${optimizer}: compiled ends where TF.js ends`,
    { skip: !native },
    async () => {
      const model = await userMlp();
      assert.deepEqual(
        model.chain?.map((l) => l.activation),
        ['relu', 'tanh', 'sigmoid', 'linear'],
      );
      const densities = new Map(model.specs.filter((s) => s.prunable).map((s) => [s.name, 0.3]));
      const run = (engine: 'tfjs' | 'compiled') =>
        train({
          ...options('dense', optimizer, engine),
          model,
          sparse: { masks: randomMasks(model.specs, densities, new Rng(2)) },
        });
      const compiled = run('compiled');
      assert.equal(compiled.stepEngine?.engine, 'compiled');
      compare(`layers/${optimizer}`, run('tfjs'), compiled);
    },
  );

test('a loss the plan cannot compile (KD) runs on TF.js and says why', { skip: !native }, () => {
  const o = options('dense', 'sgd', 'compiled');
  const teacher = (x: tf.Tensor4D) => tf.zeros([x.shape[0], ds.numClasses]) as tf.Tensor2D;
  const r = train({ ...o, totalSteps: 5, loss: kdLoss(teacher, 0.5, 4) });
  assert.equal(r.stepEngine?.engine, 'tfjs');
  assert.match(r.stepEngine!.reason!, /knowledge distillation/);
});

test('a conv net runs on TF.js and says why', { skip: !native }, () => {
  const model = createModel('mnist_lenet5', [28, 28, 1], 10);
  const o = options('dense', 'sgd', 'compiled');
  assert.equal(model.chain, undefined);
  const img = loadDataset({ name: 'synthetic', synthetic: { inputShape: [28, 28, 1], numClasses: 10 } });
  const r = train({
    ...o,
    model,
    inputShape: [28, 28, 1],
    source: streamSource(img.train, { batchSize: 8, seed: 1 }),
    test: img.test,
    totalSteps: 2,
  });
  assert.equal(r.stepEngine?.engine, 'tfjs');
  assert.match(r.stepEngine!.reason!, /not a chain/);
});

test(
  'a compiled RigL run with Adam, killed mid-epoch, resumes from its checkpoint to the same bits',
  { skip: !native },
  () => {
    const path = join(tempRoot(), 'checkpoint.bin');
    const reference = train({
      ...options('rigl', 'adam', 'compiled'),
      checkpointPath: join(tempRoot(), 'c.bin'),
    });
    const kill = new Error('killed');
    assert.throws(
      () =>
        train({
          ...options('rigl', 'adam', 'compiled'),
          checkpointPath: path,
          callbacks: {
            onStep: (step) => {
              if (step === 170) throw kill;
            },
          },
        }),
      (e) => e === kill,
    );
    const resumed = train({ ...options('rigl', 'adam', 'compiled'), checkpointPath: path });
    for (const [n, w] of reference.weights) assert.deepEqual(resumed.weights.get(n), w, n);
    assert.deepEqual(resumed.masks, reference.masks);
  },
);

test('--engine compiled enters the run id and the result says which engine ran', { skip: !native }, () => {
  type R = { runId: string; testAccuracy: number; stepEngine?: { engine: string } };
  const root = tempRoot();
  const tfjs = sprigJson<R>(['train', ...TINY_TRAIN, '--root', root]);
  const compiled = sprigJson<R>(['train', ...TINY_TRAIN, '--engine', 'compiled', '--root', root]);
  assert.notEqual(compiled.runId, tfjs.runId);
  assert.equal(tfjs.stepEngine, undefined);
  assert.equal(compiled.stepEngine?.engine, 'compiled');
  assert.ok(Math.abs(compiled.testAccuracy - tfjs.testAccuracy) < 0.02);
});

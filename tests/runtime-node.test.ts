/**
 * The standalone sparse runtime (sprig/runtime) in Node: every zoo model family that sprig exports,
 * sparse and at each value format, predicts what TF.js predicts from the same `.sprig` file, at
 * batch 1 and a batch that is not a multiple of the kernels' lane count; and what it rejects, it
 * rejects by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../src/engine/index.js';
import { createModel } from '../src/models/registry.js';
import { Rng } from '../src/util/rng.js';
import { artifactsOf, layersModelOf, setLayersWeights } from '../src/export/tfjs.js';
import { sparseExportOf, sparseExportOfLayers } from '../src/export/sparse.js';
import { loadSparseModel } from '../src/loader/index.js';
import { loadSprig, layersModelOf as runtimeLayersModelOf } from '../src/loader/runtime/index.js';
import type { ValueFormat } from '../src/loader/format.js';
import { GREY, RGB, randomWeights, sparsify } from './export-fixtures.js';

const CASES: [string, [number, number, number], ValueFormat][] = [
  ['mnist_lenet_300_100', [28, 28, 1], 'fp16'],
  ['mnist_lenet5', [28, 28, 1], 'int8'],
  ['cifar_conv2', [32, 32, 3], 'fp32'],
  ['cifar_resnet_20', [32, 32, 3], 'fp16'],
  ['cifar_vgg_16', [32, 32, 3], 'fp32'],
];

async function tfjsLogits(bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const lm = await loadSparseModel(bytes);
  const y = tf.tidy(() => (lm.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);
  lm.dispose();
  return y;
}

function assertClose(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, what);
  const scale = Math.max(1, ...want.map(Math.abs));
  got.forEach((v, i) =>
    assert.ok(Math.abs(v - want[i]!) <= 1e-4 * scale, `${what}[${i}]: ${v} vs ${want[i]}`),
  );
}

for (const [name, shape, values] of CASES)
  test(`${name} (${values}) on the sparse runtime predicts what TF.js predicts`, async () => {
    const m = createModel(name, shape, 10);
    const w = randomWeights(m, 1);
    sparsify(m, w, 0.1, 2);
    const lm = await layersModelOf(m, shape[2] === 1 ? GREY : RGB);
    setLayersWeights(lm, w);
    const bytes = sparseExportOf(m, await artifactsOf(lm), { values, int8Scale: 'channel' });
    lm.dispose();
    const model = await loadSprig(bytes);
    assert.deepEqual(model.inputShape, shape);
    assert.deepEqual(model.outputShape, [10]);
    const rng = new Rng(3);
    for (const n of [1, 23]) {
      const x = Float32Array.from({ length: n * shape[0] * shape[1] * shape[2] }, () => rng.next());
      assertClose(model.predict(x), await tfjsLogits(bytes, x, [n, ...shape]), `${name} batch ${n}`);
    }
  });

/** A model of the Keras layers and options the zoo does not use: flat input, softmax, avg pool, strides, BN on vectors. */
async function oddModel(): Promise<tfl.LayersModel> {
  const input = tfl.input({ shape: [5, 7, 2] });
  let x = tfl.layers
    .conv2d({ filters: 4, kernelSize: [3, 2], strides: 2, padding: 'same', activation: 'tanh' })
    .apply(input);
  x = tfl.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }).apply(x);
  x = tfl.layers.maxPooling2d({ poolSize: 3, padding: 'same' }).apply(x);
  x = tfl.layers.flatten().apply(x);
  x = tfl.layers.dense({ units: 6, activation: 'sigmoid' }).apply(x);
  x = tfl.layers.batchNormalization({ epsilon: 1e-3 }).apply(x);
  x = tfl.layers.dropout({ rate: 0.5 }).apply(x);
  x = tfl.layers.activation({ activation: 'relu' }).apply(x);
  x = tfl.layers.reLU({ maxValue: 0.8 }).apply(x);
  x = tfl.layers.dense({ units: 3, activation: 'softmax', useBias: false }).apply(x);
  const m = tfl.model({ inputs: input, outputs: x as tfl.SymbolicTensor });
  const rng = new Rng(5);
  m.setWeights(
    m.weights.map((v) =>
      tf.tensor(
        Float32Array.from({ length: v.shape.reduce((a, b) => a! * b!, 1)! }, () => 0.05 + rng.next()),
        v.shape as number[],
      ),
    ),
  );
  return m;
}

test('layer options beyond the zoo (strides, same pooling, sigmoid/tanh/softmax, BN on vectors, capped ReLU)', async () => {
  const m = await oddModel();
  const a = await artifactsOf(m);
  const names = new Set(
    m.layers.filter((l) => ['Dense', 'Conv2D'].includes(l.getClassName())).map((l) => l.name),
  );
  const bytes = sparseExportOfLayers(names, a, { values: 'fp32', int8Scale: 'channel' });
  const model = await loadSprig(bytes);
  const rng = new Rng(8);
  const x = Float32Array.from({ length: 3 * 70 }, () => rng.normal());
  assertClose(model.predict(x), await tfjsLogits(bytes, x, [3, 5, 7, 2]), 'odd model');
  const viaTf = await runtimeLayersModelOf(tfl, bytes);
  assert.equal(viaTf.layers.length, m.layers.length);
  m.dispose();
  viaTf.dispose();
});

test('a layer the runtime cannot run fails by name; a bad input length fails with the shape', async () => {
  const input = tfl.input({ shape: [4] });
  const y = tfl.layers
    .dense({ units: 2, activation: 'elu', name: 'head' })
    .apply(input) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: input, outputs: y });
  const bytes = sparseExportOfLayers(new Set(['head']), await artifactsOf(m), {
    values: 'fp32',
    int8Scale: 'channel',
  });
  await assert.rejects(
    loadSprig(bytes, { name: 'elu.sprig' }),
    /layer head: activation 'elu' is not supported by sprig's sparse runtime/,
  );
  const ok = tfl.model({
    inputs: input,
    outputs: tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor,
  });
  const model = await loadSprig(
    sparseExportOfLayers(new Set(), await artifactsOf(ok), { values: 'fp32', int8Scale: 'channel' }),
  );
  assert.throws(() => model.predict(new Float32Array(6)), /predict takes \[batch\]\[4\] values/);
  m.dispose();
  ok.dispose();
});

/**
 * The TF.js export with TF.js's own weight quantisation (issue 25): a plain tf.loadLayersModel
 * (no sprig code) dequantises it, predictions stay close, pruned weights stay exactly zero, and the
 * weights file shrinks to about a quarter (uint8) or a half (float16).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../src/engine/index.js';
import { exportModel, sparsify } from '../src/index.js';
import { tempRoot } from './helpers.js';

/** A model as a browser would load it: model.json and weights.bin through TF.js alone. */
async function plainLoad(dir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const bin = readFileSync(join(dir, 'weights.bin'));
  const data = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  return tfl.loadLayersModel(tf.io.fromMemory(json.modelTopology, json.weightsManifest[0].weights, data));
}

test('tfjs export --quantize uint8|float16: tf.loadLayersModel loads it, close, zeros kept, smaller', async () => {
  const dir = tempRoot();
  const model = tfl.sequential({
    name: 'q',
    layers: [
      tfl.layers.dense({ name: 'q1', inputShape: [64], units: 128, activation: 'relu' }),
      tfl.layers.dense({ name: 'q2', units: 10 }),
    ],
  });
  const x = tf.randomNormal([512, 64], 0, 1, 'float32', 3);
  const y = tf.argMax(tf.slice(x, [0, 0], [-1, 10]), 1);
  const { model: sparse } = await sparsify(
    model,
    { x, y },
    {
      sparsity: 0.8,
      training: { trainSteps: '2ep', batchSize: 64 },
    },
  );
  const want = Float32Array.from((sparse.predict(x) as tf.Tensor).dataSync());
  const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const fp32 = await exportModel(sparse, { format: 'tfjs', out: join(dir, 'fp32') });
  const bins: Record<string, number> = {};
  for (const [quantize, tol] of [
    ['uint8', 0.05],
    ['float16', 0.002],
  ] as const) {
    const r = await exportModel(sparse, { format: 'tfjs', quantize, out: join(dir, quantize) });
    assert.equal(r.quantize, quantize);
    const lm = await plainLoad(join(dir, quantize));
    const got = Float32Array.from((lm.predict(x) as tf.Tensor).dataSync());
    const diff = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]!)), 0);
    assert.ok(diff < tol * scale, `${quantize}: max difference ${diff} (outputs up to ${scale})`);
    // a pruned weight is exactly 0 after loading (0 is a code; tiny weights may round to it too)
    const loaded = lm.getWeights()[0]!.dataSync();
    const pruned = [...sparse.getWeights()[0]!.dataSync()].flatMap((v, i) => (v === 0 ? [i] : []));
    assert.ok(
      pruned.length > 0 && pruned.every((i) => loaded[i] === 0),
      `${quantize}: pruned weights stay 0`,
    );
    bins[quantize] = r.files[1]!.bytes;
  }
  const dense = fp32.files[1]!.bytes;
  const biases = (128 + 10) * 4;
  assert.equal(bins.uint8, (dense - biases) / 4 + biases);
  assert.equal(bins.float16, (dense - biases) / 2 + biases);
  await assert.rejects(
    exportModel(sparse, { format: 'sparse', quantize: 'uint8', out: join(dir, 's') }),
    /tfjs format[\s\S]*--values/,
  );
});

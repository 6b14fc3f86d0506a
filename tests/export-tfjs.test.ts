/**
 * Every zoo model as a TF.js LayersModel: saved with TF.js, loaded with tf.loadLayersModel, it
 * predicts from [0, 1] pixels what sprig's forward predicts from normalised ones (batch-norm running
 * statistics, residual adds and layer order included).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../src/engine/index.js';
import { MODELS, createModel } from '../src/models/registry.js';
import type { Model } from '../src/models/types.js';
import { Rng } from '../src/util/rng.js';
import { artifactsOf, layersModelOf, setLayersWeights } from '../src/export/tfjs.js';
import type { StoredWeights } from '../src/experiments/run.js';
import type { Normalisation } from '../src/data/types.js';

const GREY: Normalisation = { mean: [0.286], std: [0.353] };
const RGB: Normalisation = { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] };

/** Random weights and non-trivial BN statistics, so that a swapped tensor shows. */
export function randomWeights(m: Model, seed: number): StoredWeights {
  const rng = new Rng(seed);
  const weights = m.init(rng);
  for (const s of m.specs)
    if (s.kind !== 'dense' && s.kind !== 'conv')
      weights.get(s.name)!.forEach((_, i, a) => (a[i] = 0.5 + rng.next()));
  const bnStats = new Map(
    [...m.bnStats.keys()].map((n) => {
      const c = m.bnStats.get(n)!.mean.length;
      return [
        n,
        {
          mean: Float32Array.from({ length: c }, () => rng.normal() * 0.1),
          variance: Float32Array.from({ length: c }, () => 0.5 + rng.next()),
        },
      ];
    }),
  );
  return { weights, bnStats };
}

export function sprigLogits(
  m: Model,
  w: StoredWeights,
  x01: Float32Array,
  n: number,
  norm: Normalisation,
): Float32Array {
  for (const [k, v] of w.bnStats) {
    m.bnStats.get(k)!.mean.set(v.mean);
    m.bnStats.get(k)!.variance.set(v.variance);
  }
  const c = norm.mean.length;
  const x = x01.map((v, i) => (v - norm.mean[i % c]!) / norm.std[i % c]!);
  return tf.tidy(() => {
    const p = Object.fromEntries(m.specs.map((s) => [s.name, tf.tensor(w.weights.get(s.name)!, s.shape)]));
    return m.forward(p, tf.tensor4d(x, [n, ...m.inputShape]), false).dataSync() as Float32Array;
  });
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  const scale = Math.max(...a.map(Math.abs), 1e-6);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!))) / scale;
}

for (const name of Object.keys(MODELS)) {
  test(`${name} exports to a TF.js LayersModel that predicts as sprig does`, async () => {
    const cifar = name.startsWith('cifar');
    const shape: [number, number, number] = cifar ? [32, 32, 3] : [28, 28, 1];
    const norm = cifar ? RGB : GREY;
    const m = createModel(name, shape, 10);
    const w = randomWeights(m, 1);
    const lm = await layersModelOf(m, norm);
    setLayersWeights(lm, w);
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(await artifactsOf(lm)));
    const n = 2;
    const rng = new Rng(7);
    const x01 = Float32Array.from({ length: n * shape[0] * shape[1] * shape[2] }, () => rng.next());
    const ours = sprigLogits(m, w, x01, n, norm);
    const theirs = tf.tidy(
      () => (loaded.predict(tf.tensor4d(x01, [n, ...shape])) as tf.Tensor).dataSync() as Float32Array,
    );
    assert.equal(theirs.length, ours.length);
    assert.ok(maxRelDiff(ours, theirs) < 1e-4, `max relative logit difference ${maxRelDiff(ours, theirs)}`);
    const names = loaded.layers.map((l) => l.name);
    for (const s of m.specs)
      if (s.kind === 'conv' || s.kind === 'dense')
        assert.ok(names.includes(s.name.replace(/\.weight$/, '')), s.name);
    assert.equal(
      loaded.countParams(),
      m.specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0) +
        2 * [...m.bnStats.values()].reduce((a, s) => a + s.mean.length, 0),
    );
    lm.dispose();
    loaded.dispose();
  });
}

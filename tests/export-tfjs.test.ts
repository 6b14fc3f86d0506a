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
import { Rng } from '../src/util/rng.js';
import { artifactsOf, layersModelOf, setLayersWeights } from '../src/export/tfjs.js';
import { GREY, RGB, randomWeights, sprigLogits } from './export-fixtures.js';

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

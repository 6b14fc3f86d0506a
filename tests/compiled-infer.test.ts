/**
 * Compiled inference against TF.js, the reference: LeNet-300-100's logits from one native call
 * match TF.js's forward within 1e-5 of their largest magnitude, dense and at 90 % sparsity, at
 * batch 1 and 64, on the sparse kernels and dense; `loadExport` of either export format predicts
 * compiled, with sprig's input normalisation, and SPRIG_INFER_ENGINE=tfjs or a conv model stays
 * on TF.js with its reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  bindSparseLayers,
  compileInference,
  nativeAddon,
  setSparseEngine,
  sparseEngineMode,
  tf,
} from '../src/engine/index.js';
import { createModel } from '../src/models/registry.js';
import { exportModel } from '../src/export/model.js';
import { loadExport } from '../src/export/load.js';
import { layersModelOf, setLayersWeights } from '../src/export/tfjs.js';
import { inferenceEngineOf } from '../src/export/compiled-predict.js';
import { Rng } from '../src/util/rng.js';
import { GREY, randomWeights, sparsify } from './export-fixtures.js';
import { sprigJson, tempRoot, TINY_TRAIN } from './helpers.js';

const native = !!nativeAddon();
const SHAPE: [number, number, number] = [28, 28, 1];
const pixels = (n: number) => {
  const rng = new Rng(7);
  return Float32Array.from({ length: n * 784 }, () => rng.next());
};

/** max |a − b| over max |b|: the tolerance is relative to the logits' scale. */
function relDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

function lenet(density: number) {
  const m = createModel('mnist_lenet_300_100', SHAPE, 10);
  const w = randomWeights(m, 3);
  if (density < 1) sparsify(m, w, density, 5);
  return { m, w };
}

for (const density of [1, 0.1])
  test(
    `compiled forward = TF.js forward, LeNet-300-100 at density ${density}`,
    { skip: !native && 'no native addon' },
    () => {
      const { m, w } = lenet(density);
      const vars = new Map(m.specs.map((s) => [s.name, tf.tensor(w.weights.get(s.name)!, s.shape)] as const));
      const masks = new Map(
        m.specs
          .filter((s) => s.prunable)
          .map((s) => [s.name, w.weights.get(s.name)!.map((v) => (v ? 1 : 0))]),
      );
      const unbind = bindSparseLayers(vars, masks);
      const before = sparseEngineMode();
      try {
        const plan = compileInference({ modelName: m.name, chain: m.chain, batchNorm: false, vars, masks });
        assert.ok(plan.predictor, plan.reason);
        const params = Object.fromEntries(vars);
        for (const B of [1, 64]) {
          const x = pixels(B);
          setSparseEngine('off');
          const ref = tf.tidy(() =>
            m.forward(params, tf.tensor4d(x, [B, ...SHAPE]), false).dataSync(),
          ) as Float32Array;
          for (const mode of ['off', 'on']) {
            setSparseEngine(mode);
            const d = relDiff(plan.predictor.predict(x, B), ref);
            assert.ok(d < 1e-5, `batch ${B}, sparse engine ${mode}: relative difference ${d}`);
          }
        }
      } finally {
        setSparseEngine(before);
        unbind();
        for (const v of vars.values()) v.dispose();
      }
    },
  );

async function exported(density: number, format: 'tfjs' | 'sparse') {
  const { m, w } = lenet(density);
  const lm = await layersModelOf(m, GREY);
  setLayersWeights(lm, w);
  const out = join(tempRoot(), format === 'tfjs' ? 'model' : 'model.sprig');
  const r = await exportModel(lm, { format, out, values: 'fp32' });
  return r.format === 'tfjs' ? join(out, 'model.json') : r.files[0]!.path;
}

/** The export loaded twice: as loadExport loads it, and with SPRIG_INFER_ENGINE=tfjs. */
async function bothEngines(path: string) {
  const compiled = await loadExport(path);
  process.env.SPRIG_INFER_ENGINE = 'tfjs';
  try {
    return { compiled, tfjs: await loadExport(path) };
  } finally {
    delete process.env.SPRIG_INFER_ENGINE;
  }
}

for (const format of ['tfjs', 'sparse'] as const)
  for (const density of [1, 0.1])
    test(
      `loadExport predicts compiled as TF.js does: ${format} export, density ${density}`,
      { skip: !native && 'no native addon' },
      async () => {
        const { compiled, tfjs } = await bothEngines(await exported(density, format));
        assert.deepEqual(inferenceEngineOf(compiled), { engine: 'compiled' });
        assert.deepEqual(inferenceEngineOf(tfjs), { engine: 'tfjs', reason: 'SPRIG_INFER_ENGINE=tfjs' });
        for (const B of [1, 64]) {
          const x = tf.tensor4d(pixels(B), [B, ...SHAPE]);
          const [a, b] = [compiled, tfjs].map(
            (lm) => (lm.predict(x) as tf.Tensor).dataSync() as Float32Array,
          );
          assert.deepEqual((compiled.predict(x) as tf.Tensor).shape, [B, 10]);
          const d = relDiff(a!, b!);
          assert.ok(d < 1e-5, `batch ${B}: relative difference ${d}`);
          x.dispose();
        }
      },
    );

test('loadExport keeps a model that is no chain on TF.js, and says why', async () => {
  const m = createModel('mnist_lenet5', SHAPE, 10);
  const lm = await layersModelOf(m, GREY);
  setLayersWeights(lm, randomWeights(m, 1));
  const out = join(tempRoot(), 'conv');
  await exportModel(lm, { format: 'tfjs', out });
  const loaded = await loadExport(out);
  const e = inferenceEngineOf(loaded)!;
  assert.equal(e.engine, 'tfjs');
  assert.match(e.reason!, native ? /not a chain of fully-connected layers/ : /native addon is not loaded/);
});

test(
  'sprig predict runs a chain model compiled, at TF.js’s test accuracy',
  { skip: !native && 'no native addon' },
  () => {
    const root = tempRoot();
    const { runId } = sprigJson<{ runId: string }>(['train', ...TINY_TRAIN, '--root', root]);
    type R = {
      testAccuracy: number;
      engine: { engine: string; reason?: string };
      latency: { tfjsMs?: number }[];
    };
    const args = ['predict', runId, '--root', root, '--batches', '1,64', '--steps', '4'];
    const compiled = sprigJson<R>(args);
    const tfjs = sprigJson<R>(args, { SPRIG_INFER_ENGINE: 'tfjs' });
    assert.deepEqual(compiled.engine, { engine: 'compiled' });
    assert.deepEqual(tfjs.engine, { engine: 'tfjs', reason: 'SPRIG_INFER_ENGINE=tfjs' });
    assert.equal(compiled.testAccuracy, tfjs.testAccuracy);
    assert.ok(compiled.latency.every((l) => l.tfjsMs! > 0));
  },
);

test(
  'loadExport of a LayersModel ending in softmax predicts its probabilities compiled',
  { skip: !native && 'no native addon' },
  async () => {
    const lm = tfl.sequential({
      layers: [
        tfl.layers.flatten({ inputShape: SHAPE }),
        tfl.layers.dense({ units: 32, activation: 'tanh' }),
        tfl.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    const out = join(tempRoot(), 'softmax');
    await exportModel(lm, { format: 'tfjs', out });
    const { compiled, tfjs } = await bothEngines(out);
    assert.deepEqual(inferenceEngineOf(compiled), { engine: 'compiled' });
    const x = tf.tensor4d(pixels(8), [8, ...SHAPE]);
    const [a, b] = [compiled, tfjs].map((m) => (m.predict(x) as tf.Tensor).dataSync() as Float32Array);
    assert.ok(relDiff(a!, b!) < 1e-5);
    assert.ok(Math.abs(a!.slice(0, 10).reduce((s, v) => s + v, 0) - 1) < 1e-5);
  },
);

test(
  'a loaded export whose weights are set again predicts with the new weights',
  { skip: !native && 'no native addon' },
  async () => {
    const { compiled, tfjs } = await bothEngines(await exported(0.1, 'tfjs'));
    const x = tf.tensor4d(pixels(4), [4, ...SHAPE]);
    const before = (compiled.predict(x) as tf.Tensor).dataSync() as Float32Array;
    const fresh = compiled.getWeights().map((w) => tf.mul(w, 0.5));
    compiled.setWeights(fresh);
    tfjs.setWeights(fresh);
    const [a, b] = [compiled, tfjs].map((m) => (m.predict(x) as tf.Tensor).dataSync() as Float32Array);
    assert.ok(relDiff(a!, before) > 1e-2, 'the prediction did not change');
    assert.ok(relDiff(a!, b!) < 1e-5);
  },
);

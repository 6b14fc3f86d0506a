/**
 * The library path of a TF.js user (issue 25): `sparsify` on a tf.sequential in memory and your own
 * tensors, as `sprig dst` runs it (same recipe, same run ids, cached); `exportModel` on any
 * LayersModel; the API's `dst()` on the CLI's recipe; a run export of a model that keeps its softmax.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../src/engine/index.js';
import { dst, exportModel, exportRun, loadExport, sparsify } from '../src/index.js';
import { identifyFromFlags } from '../src/experiments/schema-flags.js';
import { storeLayersModel } from '../src/api/in-memory-model.js';
import { tempRoot } from './helpers.js';

/**
 * A small MLP ending in softmax, as a TF.js user builds one, with new random weights each time.
 * Named, since TF.js numbers unnamed layers per process (a script run twice gets the same names).
 */
function mlp(inputs = 16): tfl.Sequential {
  return tfl.sequential({
    name: 'mlp',
    layers: [
      tfl.layers.dense({ name: 'fc1', inputShape: [inputs], units: 32, activation: 'relu' }),
      tfl.layers.dense({ name: 'fc2', units: 4, activation: 'softmax' }),
    ],
  });
}

/** 256 examples, the class is the largest of the first four features. */
function data(seed = 1) {
  const x = tf.randomNormal([256, 16], 0, 1, 'float32', seed);
  return { x, y: tf.argMax(tf.slice(x, [0, 0], [-1, 4]), 1) };
}

const accuracyOf = (lm: tfl.LayersModel, d: { x: tf.Tensor; y: tf.Tensor }) =>
  tf.tidy(
    () =>
      tf.mean(tf.cast(tf.equal(tf.argMax(lm.predict(d.x) as tf.Tensor, 1), d.y), 'float32')).dataSync()[0],
  );

const TRAINING = { trainSteps: '4ep', batchSize: 32 };

test('sparsify trains an in-memory tf.sequential on your tensors as `sprig dst` would, and caches it', async () => {
  const root = tempRoot();
  const model = mlp();
  const d = data();
  const o = { method: 'rigl', sparsity: 0.8, training: TRAINING, root } as const;
  const first = await sparsify(model, d, o);
  assert.equal(first.result.cached, false);
  // the returned model is the run's network: its accuracy, and its zeros where the masks are
  assert.ok(Math.abs(accuracyOf(first.model, d) - first.result.testAccuracy) < 1e-6);
  const kernels = first.model.layers.map((l) => l.getWeights()[0]!.dataSync());
  const nonzero = kernels.reduce((n, k) => n + k.filter((v) => v !== 0).length, 0);
  const total = kernels.reduce((n, k) => n + k.length, 0);
  assert.equal(nonzero / total, first.result.sparsity.density);
  assert.ok(first.result.sparsity.density < 0.25);
  // stored on the dst recipe, through the model-file path: the CLI names the same run
  const hp = JSON.parse(readFileSync(join(first.result.runDir, 'hparams.json'), 'utf8'));
  assert.equal(hp.training.lr, 0.05);
  assert.equal(hp.training.momentum, 0.9);
  const cli = identifyFromFlags('dst', {
    model: hp.model.name,
    dataset: hp.dataset.name,
    method: 'rigl',
    sparsity: 0.8,
    ...TRAINING,
  });
  assert.equal(cli.runId, first.result.runId);
  await assert.rejects(
    exportRun(first.result.runDir, { format: 'tfjs', out: join(root, 'x') }),
    /exportModel/,
  );
  // the same script again (new random weights: the init is sprig's) hits the cache
  const again = await sparsify(mlp(), d, o);
  assert.equal(again.result.cached, true);
  assert.equal(again.result.runId, first.result.runId);
});

test("sparsify's run id: other data or the model's own weights ('from-model') make another run", async () => {
  const root = tempRoot();
  const o = { method: 'set', sparsity: 0.5, training: { trainSteps: '1it', batchSize: 32 }, root } as const;
  const model = mlp();
  const base = (await sparsify(model, data(1), o)).result.runId;
  assert.notEqual((await sparsify(model, data(2), o)).result.runId, base);
  const own = (await sparsify(model, data(1), { ...o, init: 'from-model' })).result.runId;
  assert.notEqual(own, base);
  // other random weights: the same run under 'fresh', another under 'from-model'
  assert.equal((await sparsify(mlp(), data(1), o)).result.runId, base);
  assert.notEqual((await sparsify(mlp(), data(1), { ...o, init: 'from-model' })).result.runId, own);
  const wider = tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [16], units: 4, activation: 'softmax' })],
  });
  assert.notEqual((await sparsify(wider, data(1), o)).result.runId, base);
});

test('exportModel writes any LayersModel; loaded back it predicts as the model', async () => {
  const dir = tempRoot();
  const model = mlp();
  const x = tf.randomNormal([8, 16], 0, 1, 'float32', 4);
  const want = (model.predict(x) as tf.Tensor).dataSync();
  for (const format of ['tfjs', 'sparse'] as const) {
    const r = await exportModel(model, { format, values: 'fp32', out: join(dir, format) });
    assert.ok(r.bytes > 0 && r.files.length === (format === 'tfjs' ? 2 : 1));
    const lm = await loadExport(r.files[0]!.path);
    const got = (lm.predict(x) as tf.Tensor).dataSync();
    assert.ok(
      got.every((v, i) => Math.abs(v - want[i]!) < 1e-6),
      `${format} export predicts as the model`,
    );
  }
});

test('dst() runs on the recipe of `sprig dst`: the same settings give the same run id', () => {
  const root = tempRoot();
  const r = dst(
    {
      dataset: { name: 'synthetic' },
      model: { name: 'mlp_16' },
      training: { trainSteps: '2it', batchSize: 64 },
      dst: { method: 'rigl', sparsity: 0.8 },
    },
    { root },
  );
  const cli = identifyFromFlags('dst', {
    dataset: 'synthetic',
    model: 'mlp_16',
    trainSteps: '2it',
    batchSize: 64,
    method: 'rigl',
    sparsity: 0.8,
  });
  assert.equal(r.runId, cli.runId);
});

test('a run export of a model that keeps its softmax compares probabilities, and names the run, not its path', async () => {
  const root = tempRoot();
  const file = await storeLayersModel(mlp(64), root, 'fresh');
  const r = dst(
    {
      dataset: { name: 'synthetic' },
      model: file,
      training: { trainSteps: '2it', batchSize: 64 },
      dst: { method: 'dense' },
    },
    { root },
  );
  const e = await exportRun(r.runDir, { format: 'tfjs', out: join(root, 'export'), root });
  assert.equal(e.compared, 'probabilities');
  assert.ok(e.maxLogitDiff! < 1e-5, `max difference ${e.maxLogitDiff}`);
  const meta = JSON.parse(readFileSync(e.files[0]!.path, 'utf8')).userDefinedMetadata.sprig;
  assert.equal(meta.run, r.runId);
  assert.ok(!isAbsolute(meta.run));
});

/**
 * TF.js models in: zoo exports read back with the same parameters, names and predictions; a small
 * Sequential CNN made with tfjs-layers goes through `sprig lottery --model model.json`; the file's
 * content enters the run id; unsupported layers are listed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../src/engine/index.js';
import { createModel, parameterCount } from '../src/models/registry.js';
import { readLayersModel } from '../src/models/layers-model.js';
import {
  artifactsOf,
  layersModelOf,
  modelJsonOf,
  setLayersWeights,
  weightBytes,
} from '../src/export/tfjs.js';
import type { Model } from '../src/models/types.js';
import { Rng } from '../src/util/rng.js';
import { GREY, RGB, randomWeights, sprigLogits } from './export-fixtures.js';
import { sprig, sprigJson, tempRoot } from './helpers.js';

async function save(lm: tfl.LayersModel, dir: string): Promise<string> {
  const a = await artifactsOf(lm);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJsonOf(a, {})));
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(weightBytes(a)));
  return join(dir, 'model.json');
}

const initOf = (m: Model) => {
  const w = m.init(new Rng(0));
  return {
    weights: w,
    bnStats: new Map(
      [...m.bnStats].map(([k, v]) => [k, { mean: v.mean.slice(), variance: v.variance.slice() }]),
    ),
  };
};

for (const [name, shape] of [
  ['mnist_lenet_300_100', [28, 28, 1]],
  ['mnist_lenet5', [28, 28, 1]],
  ['cifar_resnet_20', [32, 32, 3]],
] as const) {
  test(`${name}: exported to TF.js and read back with --init from-model, same parameters, names and predictions`, async () => {
    const norm = shape[2] === 3 ? RGB : GREY;
    const zoo = createModel(name, [...shape], 10);
    const w = randomWeights(zoo, 4);
    const lm = await layersModelOf(zoo, norm);
    setLayersWeights(lm, w);
    const path = await save(lm, join(tempRoot(), 'm'));
    const read = readLayersModel(path, [...shape], 10, { init: 'from-model' });
    assert.deepEqual(
      read.specs.map((s) => [s.name, s.shape, s.kind, s.prunable, s.isOutput, s.usesPerExample]),
      zoo.specs.map((s) => [s.name, s.shape, s.kind, s.prunable, s.isOutput, s.usesPerExample]),
    );
    assert.equal(parameterCount(read), parameterCount(zoo));
    const n = 2;
    const rng = new Rng(5);
    const x01 = Float32Array.from({ length: n * shape[0] * shape[1] * shape[2] }, () => rng.next());
    const ours = sprigLogits(zoo, w, x01, n, norm);
    const theirs = sprigLogits(read, initOf(read), x01, n, norm);
    const scale = Math.max(...ours.map(Math.abs));
    ours.forEach((v, i) => assert.ok(Math.abs(v - theirs[i]!) <= 1e-4 * scale, `${i}: ${v} vs ${theirs[i]}`));
    // Exported again, the read model keeps one normalisation layer and predicts the same.
    const again = await layersModelOf(read, norm);
    setLayersWeights(again, initOf(read));
    assert.equal(again.layers.filter((l) => l.getClassName() === 'Rescaling').length, 1);
    const y = tf.tidy(() => (again.predict(tf.tensor4d(x01, [n, ...shape])) as tf.Tensor).dataSync());
    ours.forEach((v, i) => assert.ok(Math.abs(v - y[i]!) <= 1e-4 * scale));
    lm.dispose();
    again.dispose();
  });
}

/** A small Sequential CNN as a TF.js user would build it (auto-named layers, softmax output). */
function userCnn(seed: number): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotNormal({ seed }),
      }),
      tfl.layers.batchNormalization(),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dropout({ rate: 0.2 }),
      tfl.layers.dense({
        units: 16,
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotNormal({ seed }),
      }),
      tfl.layers.dense({ units: 4, activation: 'softmax' }),
    ],
  });
}

test('a Sequential CNN saved by tfjs-layers goes through sprig lottery --model, and exports back', async () => {
  const root = tempRoot();
  const a = await save(userCnn(1), join(root, 'a'));
  const b = await save(userCnn(2), join(root, 'b'));
  const args = (file: string, ...more: string[]) => [
    'lottery',
    '--model',
    file,
    '--dataset',
    'synthetic',
    '--levels',
    '1',
    '--train-steps',
    '4it',
    '--batch-size',
    '64',
    '--root',
    root,
    '--quiet',
    ...more,
  ];
  type L = {
    runId: string;
    runDir: string;
    levels: { level: number; remaining: number; testAccuracy: number }[];
  };
  const ra = sprigJson<L>(args(a));
  assert.equal(ra.levels.length, 2);
  // p = 0.2 per level, the output layer at p/2 (Frankle & Carbin's default): a little above 0.8 remains.
  const remaining = ra.levels[1]!.remaining;
  assert.ok(remaining > 0.8 && remaining < 0.83, `remaining ${remaining}`);
  const rb = sprigJson<L>(args(b));
  const rc = sprigJson<L>(args(a, '--init', 'from-model'));
  assert.equal(new Set([ra.runId, rb.runId, rc.runId]).size, 3, 'different files / inits never share a run');
  const hp = JSON.parse(readFileSync(join(ra.runDir, 'hparams.json'), 'utf8'));
  assert.match(hp.model.sha256, /^[0-9a-f]{64}$/);
  // The level-1 ticket of the user's model exports as TF.js, under the user's layer names.
  const level = join(ra.runDir, 'replicate_0', 'level_1');
  const e = sprigJson<{ exportTestAccuracy: number; sprigTestAccuracy: number; agreement: number }>([
    'export',
    level,
    '--format',
    'tfjs',
    '--out',
    join(root, 'exp'),
  ]);
  assert.equal(e.agreement, 1);
  assert.equal(e.exportTestAccuracy, e.sprigTestAccuracy);
  const names = JSON.parse(
    readFileSync(join(root, 'exp', 'model.json'), 'utf8'),
  ).weightsManifest[0].weights.map((w: { name: string }) => w.name);
  assert.ok(
    names.some((n: string) => /^conv2d_Conv2D\d+\/kernel$/.test(n)),
    names.join(),
  );
});

test('unsupported layers are listed with the supported ones; a changed file is refused', async () => {
  const root = tempRoot();
  const path = await save(userCnn(3), join(root, 'm'));
  const json = JSON.parse(readFileSync(path, 'utf8'));
  json.modelTopology.config.layers[1].class_name = 'LayerNormalization';
  json.modelTopology.config.layers[2].class_name = 'UpSampling2D';
  writeFileSync(join(root, 'm', 'bad.json'), JSON.stringify(json));
  const r = sprig([
    'lottery',
    '--model',
    join(root, 'm', 'bad.json'),
    '--dataset',
    'synthetic',
    '--root',
    root,
  ]);
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /unsupported layers in the TF.js model: batch_normalization\w* \(LayerNormalization\), max_pooling2d\w* \(UpSampling2D\)/,
  );
  assert.match(
    r.stderr,
    /fix: sprig reads models built from InputLayer, Dense, Conv2D, .*GlobalAveragePooling2D, Dropout/,
  );
  assert.throws(
    () => readLayersModel(path, [8, 8, 1], 4, { sha256: '0'.repeat(64) }),
    /has changed since the run was started/,
  );
  assert.throws(
    () => readLayersModel(path, [28, 28, 1], 10),
    /takes inputs of shape 8×8×1, the dataset has 28×28×1/,
  );
});

test('a TF.js model read with --init from-model predicts what TF.js predicts (softmax output as logits)', async () => {
  const lm = userCnn(4);
  // Non-trivial BN statistics, so that ε and the running statistics matter.
  const bnLayer = lm.layers[1]!;
  bnLayer.setWeights(bnLayer.getWeights().map((t, i) => tf.add(t, tf.scalar(0.3 * (i + 1)))));
  const path = await save(lm, join(tempRoot(), 'u'));
  const read = readLayersModel(path, [8, 8, 1], 4, { init: 'from-model' });
  const rng = new Rng(6);
  const x = Float32Array.from({ length: 3 * 64 }, () => rng.normal());
  const theirs = tf.tidy(() => (lm.predict(tf.tensor4d(x, [3, 8, 8, 1])) as tf.Tensor).dataSync());
  const ours = tf.tidy(() => {
    const init = read.init(new Rng(0));
    const p = Object.fromEntries(read.specs.map((s) => [s.name, tf.tensor(init.get(s.name)!, s.shape)]));
    return tf.softmax(read.forward(p, tf.tensor4d(x, [3, 8, 8, 1]), false)).dataSync();
  });
  theirs.forEach((v, i) => assert.ok(Math.abs(v - ours[i]!) < 1e-5, `${i}: ${v} vs ${ours[i]}`));
});

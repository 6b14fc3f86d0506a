/**
 * The output-buffer pool (src/engine/pool.ts): buffers of disposed tensors are reused, but never
 * while a view (Slice) still shares them, and never once their values left through dataSync().
 * Training with the pool equals training without it, bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { engineStatus, tf } from '../src/engine/index.js';
import { convLayer } from '../src/engine/native.js';
import { poolState, poolStats, POOL_MIN_ELEMENTS } from '../src/engine/pool.js';
import { writeCifar10Dir } from './data-fixtures.js';
import { sprigJson, tempRoot } from './helpers.js';

const skip =
  engineStatus().engine !== 'native'
    ? 'native engine not active'
    : !poolState().enabled
      ? 'SPRIG_POOL=0'
      : false;
const N = POOL_MIN_ELEMENTS + 7;
const ramp = (k: number) => tf.tensor1d(Float32Array.from({ length: N }, (_, i) => i * k));

test('a disposed kernel output is reused for the next output of its size', { skip }, () => {
  const x = ramp(1),
    y = ramp(2);
  tf.add(x, y).dispose();
  const hits = poolStats.hits;
  for (let i = 0; i < 5; i++) tf.add(x, y).dispose();
  assert.equal(poolStats.hits - hits, 5);
  const z = tf.add(x, y);
  const v = z.dataSync();
  assert.equal(v[10], 30, 'a reused buffer holds the new values');
  tf.dispose([x, y, z]);
});

test('a Slice view keeps its buffer out of the pool until the view is disposed', { skip }, () => {
  const x = ramp(1),
    y = ramp(2);
  const a = tf.add(x, y);
  const view = tf.slice(a, [100], [50]); // the CPU backend returns a subarray of a's buffer
  a.dispose();
  const b = tf.mul(x, y); // same size: must not land in a's buffer
  assert.equal(view.dataSync()[0], 300);
  assert.equal(b.dataSync()[1], 2);
  tf.dispose([view, b, x, y]);
});

test('values read with dataSync() are never overwritten after their tensor is disposed', { skip }, () => {
  const x = ramp(1),
    y = ramp(3);
  const a = tf.add(x, y);
  const exposed = poolStats.exposed;
  const held = a.dataSync();
  assert.equal(poolStats.exposed, exposed + 1);
  a.dispose();
  for (let i = 0; i < 3; i++) tf.mul(x, y).dispose();
  assert.equal(held[5], 20, 'an exposed buffer was reused');
  tf.dispose([x, y]);
});

test('ResNet-20 trains bit-identically with and without the pool', { skip }, () => {
  const dir = join(tempRoot(), 'cifar-10-batches-bin');
  mkdirSync(dir, { recursive: true });
  writeCifar10Dir(dir, 8, 16);
  const run = (env: NodeJS.ProcessEnv) =>
    sprigJson<{ testLoss: number; history: unknown[] }>(
      [
        ...['train', '--model', 'cifar_resnet_20', '--dataset', 'cifar10', '--data-dir', dir],
        ...['--train-steps', '3it', '--batch-size', '8', '--lr', '0.05', '--momentum', '0.9'],
        ...['--root', tempRoot(), '--quiet'],
      ],
      { SPRIG_THREADS: '1', ...env },
    );
  const pooled = run({}),
    plain = run({ SPRIG_POOL: '0' });
  assert.ok(Number.isFinite(pooled.testLoss));
  assert.equal(pooled.testLoss, plain.testLoss);
  assert.deepEqual(pooled.history, plain.history);
});

test("a ReLU conv layer's backward pass leaves no tensor behind (its masked dy returns to the pool)", () => {
  const x = tf.randomNormal([4, 16, 16, 8]) as tf.Tensor4D;
  const w = tf.variable(tf.randomNormal([3, 3, 8, 16])) as tf.Variable<tf.Rank.R4>;
  const b = tf.variable(tf.zeros([16]));
  const counts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { value, grads } = tf.variableGrads(
      () => tf.sum(convLayer(x, w, 1, 'same', b, 'relu')) as tf.Scalar,
    );
    tf.dispose([value, ...Object.values(grads)]);
    counts.push(tf.memory().numTensors);
  }
  assert.deepEqual(counts, [counts[0], counts[0], counts[0]]);
  tf.dispose([x, w, b]);
});

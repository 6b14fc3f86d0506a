/**
 * Defect: `training.labelSmoothing` entered the run id, but every command that took setup's options
 * (train, dst, lottery levels, gradflow, flagship) trained with plain cross-entropy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/index.js';
import { setup } from '../src/experiments/setup.js';
import { trainHparamsSchema, validate } from '../src/experiments/hparams.js';
import { crossEntropy } from '../src/training/losses.js';
import { sprigJson, tempRoot } from './helpers.js';

const hp = (labelSmoothing: number) =>
  validate(trainHparamsSchema, {
    dataset: { name: 'synthetic' },
    model: { name: 'mlp_32' },
    training: { labelSmoothing, trainSteps: '1ep', batchSize: 64 },
  });

test('setup.options trains with the label smoothing it is hashed with, also when a caller passes loss: undefined', () => {
  const s = setup(hp(0.2));
  const logits = tf.tensor2d([
    [2, -1, 0.5, 0],
    [0, 0, 3, -2],
  ]);
  const labels = tf.tensor1d([0, 2], 'int32');
  const x = tf.zeros([2, 1, 1, 1]) as tf.Tensor4D;
  const want = crossEntropy(logits, labels, 0.2).dataSync()[0]!;
  const plain = crossEntropy(logits, labels, 0).dataSync()[0]!;
  assert.ok(Math.abs(want - plain) > 1e-3);
  for (const o of [s.options(), s.options({ loss: undefined })]) {
    assert.ok(o.loss, 'setup must pass a loss to the loop');
    assert.ok(Math.abs(o.loss(logits, labels, x).dataSync()[0]! - want) < 1e-6);
  }
});

test('sprig train --label-smoothing: the training loss never falls below the entropy of the smoothed targets', () => {
  const root = tempRoot();
  const eps = 0.5;
  const k = 4; // the synthetic dataset's classes
  const hi = 1 - eps + eps / k;
  const lo = eps / k;
  const floor = -(hi * Math.log(hi) + (k - 1) * lo * Math.log(lo));
  const run = (ls: number) =>
    sprigJson<{ history: { trainLoss: number }[] }>([
      'train',
      '--root',
      root,
      '--model',
      'mlp_32',
      '--dataset',
      'synthetic',
      '--train-steps',
      '3ep',
      '--batch-size',
      '64',
      '--lr',
      '0.2',
      '--label-smoothing',
      String(ls),
      '--quiet',
    ]);
  const plain = run(0).history.at(-1)!.trainLoss;
  assert.ok(plain < floor, `plain CE ${plain} should go below ${floor} on this data`);
  for (const h of run(eps).history) assert.ok(h.trainLoss >= floor - 1e-4, `loss ${h.trainLoss} < ${floor}`);
});

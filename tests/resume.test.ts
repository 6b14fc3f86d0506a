import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tf } from '../src/engine/index.js';
import { loadDataset } from '../src/data/registry.js';
import { createModel } from '../src/models/registry.js';
import { train, type TrainOptions } from '../src/training/loop.js';
import { streamSource } from '../src/training/sources.js';
import { crossEntropy } from '../src/training/losses.js';
import { loadCheckpoint } from '../src/store/checkpoint.js';
import { SprigError } from '../src/util/errors.js';
import { sprigAsync, sprigJson, tempRoot } from './helpers.js';

const args = [
  'train',
  '--dataset',
  'synthetic',
  '--model',
  'mlp_64_32',
  '--train-steps',
  '60ep',
  '--batch-size',
  '8',
  '--momentum',
  '0.9',
  '--lr',
  '0.01',
  '--quiet',
];

test('a run killed with SIGKILL mid-epoch resumes and ends where an uninterrupted run ends', async () => {
  const reference = sprigJson<{ testLoss: number; testAccuracy: number; runDir: string; steps: number }>([
    ...args,
    '--root',
    tempRoot(),
  ]);

  const root = tempRoot();
  const child = sprigAsync([...args, '--root', root]);
  const exited = new Promise((r) => child.on('exit', r));
  // wait until at least one epoch checkpoint is written, then a little more so the kill lands mid-epoch
  let ck: string | undefined;
  for (let i = 0; i < 600 && !ck; i++) {
    await sleep(50);
    const dirs = existsSync(root) ? readdirSync(root).filter((d) => d.startsWith('train_')) : [];
    ck = dirs.map((d) => join(root, d, 'checkpoint.bin')).find((p) => existsSync(p));
  }
  assert.ok(ck, 'a checkpoint was written');
  await sleep(150);
  child.kill('SIGKILL');
  await exited;
  const stepAtKill = loadCheckpoint<{ step: number }>(ck!)!.meta.step;
  assert.ok(stepAtKill < reference.steps, 'killed before the end');

  const resumed = sprigJson<typeof reference>([...args, '--root', root]);
  assert.equal(resumed.steps, reference.steps);
  assert.ok(
    Math.abs(resumed.testLoss - reference.testLoss) < 1e-5,
    `${resumed.testLoss} vs ${reference.testLoss}`,
  );
  assert.equal(resumed.testAccuracy, reference.testAccuracy);
  const a = new Float32Array(readFileSync(join(reference.runDir, 'weights.bin')).buffer.slice(0));
  const b = new Float32Array(readFileSync(join(resumed.runDir, 'weights.bin')).buffer.slice(0));
  assert.equal(a.length, b.length);
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
  assert.ok(maxDiff < 1e-5, `weights differ by ${maxDiff}`);
});

test('a run that diverges to NaN stops, says so, and keeps the last good checkpoint', () => {
  const ds = loadDataset({ name: 'synthetic' });
  const model = createModel('mlp_16', ds.inputShape, ds.numClasses);
  const source = streamSource(ds.train, { batchSize: 64, seed: 0 });
  const path = join(tempRoot(), 'checkpoint.bin');
  let calls = 0;
  const opts: TrainOptions = {
    model,
    source,
    test: ds.test,
    inputShape: ds.inputShape,
    optimizer: {
      optimizer: 'sgd',
      momentum: 0,
      nesterov: false,
      weightDecay: 0,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
    },
    lr: { lr: 0.1, lrSchedule: 'constant', milestones: [], gamma: 0.1, warmup: 0 },
    totalSteps: 40,
    itersPerEpoch: source.batchesPerEpoch,
    seed: 0,
    checkpointPath: path,
    // the loss turns NaN at the 20th step (in epoch 3 of 8-step epochs)
    loss: (logits, labels) =>
      (++calls >= 20 ? tf.mul(crossEntropy(logits, labels), NaN) : crossEntropy(logits, labels)) as tf.Scalar,
  };
  assert.throws(
    () => train(opts),
    (e: unknown) =>
      e instanceof SprigError && /diverged at iteration 19/.test(e.message) && /epoch 2/.test(e.message),
  );
  const ck = loadCheckpoint<{ step: number }>(path)!;
  assert.equal(ck.meta.step, 16);
  for (const [k, v] of ck.arrays) if (k.startsWith('w/')) assert.ok(v.every(Number.isFinite), k);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Rng } from '../src/util/rng.js';
import { sprigJson, tempRoot } from './helpers.js';

/**
 * A CIFAR-10 folder in the real binary format whose test batch repeats the ten training images
 * (image k has label k): a network that reads images and labels correctly memorises them, so a
 * misread label, channel or record fails the accuracy check below.
 */
function writeMemorisable(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(5);
  // record = label byte + 3072 pixel bytes (3 × 32 × 32); random pixels keep the images apart
  const record = (k: number) =>
    Buffer.from([k, ...Array.from({ length: 3072 }, () => Math.floor(rng.next() * 256))]);
  const ten = Buffer.concat(Array.from({ length: 10 }, (_, k) => record(k)));
  for (let b = 1; b <= 5; b++) writeFileSync(join(dir, `data_batch_${b}.bin`), ten);
  writeFileSync(join(dir, 'test_batch.bin'), ten);
}

// A Conv-4 and a ResNet-20 train end to end on CIFAR-10 files and memorise ten images.
for (const model of ['cifar_conv4', 'cifar_resnet_20']) {
  test(`${model} trains on CIFAR-format files and memorises ten images`, () => {
    const dir = join(tempRoot(), 'cifar-10-batches-bin');
    writeMemorisable(dir);
    const r = sprigJson<{
      steps: number;
      testAccuracy: number;
      testLoss: number;
      history: { trainLoss: number }[];
    }>([
      'train',
      '--model',
      model,
      '--dataset',
      'cifar10',
      '--data-dir',
      dir,
      '--no-augment',
      '--train-steps',
      '5ep',
      '--batch-size',
      '10',
      '--optimizer',
      'adam',
      '--lr',
      '0.001',
      '--root',
      tempRoot(),
      '--quiet',
    ]);
    assert.equal(r.steps, 25);
    const losses = r.history.map((e) => e.trainLoss);
    assert.ok(losses.at(-1)! < losses[0]!, `train loss falls: ${losses.join(', ')}`);
    // chance is 0.1
    assert.ok(r.testAccuracy >= 0.8, `memorised ${r.testAccuracy} of the ten images`);
  });
}

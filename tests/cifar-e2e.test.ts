import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { writeCifar10Dir } from './data-fixtures.js';
import { sprigJson, tempRoot } from './helpers.js';

// A Conv-4 and a ResNet-20 train end to end, for a few steps, on CIFAR-10 files in the real binary format.
for (const model of ['cifar_conv4', 'cifar_resnet_20']) {
  test(`${model} trains a few steps on CIFAR-format files`, () => {
    const dir = join(tempRoot(), 'cifar-10-batches-bin');
    mkdirSync(dir, { recursive: true });
    writeCifar10Dir(dir, 8, 16);
    const r = sprigJson<{ steps: number; testAccuracy: number; testLoss: number; history: unknown[] }>([
      'train',
      '--model',
      model,
      '--dataset',
      'cifar10',
      '--data-dir',
      dir,
      '--train-steps',
      '4it',
      '--batch-size',
      '8',
      '--lr',
      '0.01',
      '--momentum',
      '0.9',
      '--root',
      tempRoot(),
      '--quiet',
    ]);
    assert.equal(r.steps, 4);
    assert.ok(Number.isFinite(r.testLoss));
    assert.ok(r.testAccuracy >= 0 && r.testAccuracy <= 1);
  });
}

/**
 * Defect: the Real World kept a partial last batch every epoch, so its batches and samplesSeen
 * differed from the Ideal World's (always full batches). The reference drops the last batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sprigJson, tempRoot } from './helpers.js';
import type { BootstrapResult } from '../src/experiments/bootstrap.js';
import { realWorldSource } from '../src/experiments/bootstrap-worlds.js';
import { loadDataset } from '../src/data/registry.js';

test('Real World batches are all full: a partial last batch is dropped each epoch', () => {
  const ds = loadDataset({ name: 'synthetic' });
  const real = { x: ds.train.x.slice(0, 100 * 64), y: ds.train.y.slice(0, 100), n: 100 };
  const src = realWorldSource(real, 32, 7);
  for (let epoch = 0; epoch < 2; epoch++) {
    const seen = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const b = src.next();
      assert.equal(b.n, 32);
      for (const k of b.indices!) seen.add(k);
    }
    assert.equal(seen.size, 96); // 3 full batches of distinct samples, then a new epoch
  }
});

test('sprig bootstrap, n = 100, batch 32: an epoch is 3 full batches in both worlds, samplesSeen ≤ samples', () => {
  const r = sprigJson<BootstrapResult>([
    'bootstrap',
    '--dataset',
    'synthetic',
    '--model',
    'mlp_8',
    '--n',
    '100',
    '--batch-size',
    '32',
    '--train-steps',
    '2ep',
    '--log-every',
    '1ep',
    '--root',
    tempRoot(),
    '--quiet',
  ]);
  const m = r.models[0]!;
  for (const w of [m.real, m.ideal]) {
    assert.deepEqual(
      w.curve.map((p) => p.step),
      [0, 3, 6],
    );
    assert.deepEqual(
      w.curve.map((p) => p.samplesSeen),
      [0, 96, 192],
    );
  }
});

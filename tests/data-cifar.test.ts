import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCifar } from '../src/data/cifar.js';
import { CIFAR10_NORMALISATION } from '../src/data/normalise.js';
import { loadDataset } from '../src/data/registry.js';
import { SprigError } from '../src/util/errors.js';
import { cifarPixel, tempDir, writeCifar100Dir, writeCifar10Dir } from './data-fixtures.js';

const root = tempDir();

test('CIFAR-10: five train batches concatenated, labels, CHW converted to HWC', () => {
  const dir = join(root, 'c10');
  writeCifar10Dir(dir, 3, 4);
  const raw = readCifar('cifar10', dir);
  assert.deepEqual(raw.inputShape, [32, 32, 3]);
  assert.equal(raw.numClasses, 10);
  assert.equal(raw.train.n, 15);
  assert.equal(raw.test.n, 4);
  assert.deepEqual(
    [...raw.train.y],
    Array.from({ length: 15 }, (_, k) => k % 10),
  );
  for (const [k, r, c, ch] of [
    [0, 0, 0, 0],
    [7, 5, 9, 2],
    [14, 31, 31, 1],
  ] as const) {
    assert.equal(raw.train.x[k * 3072 + (r * 32 + c) * 3 + ch], cifarPixel(k, r, c, ch));
  }
  assert.equal(raw.test.x[2 * 3072 + (3 * 32 + 4) * 3 + 2], cifarPixel(1002, 3, 4, 2));
});

test('CIFAR-100: fine labels are used', () => {
  const dir = join(root, 'c100');
  writeCifar100Dir(dir, 20, 6);
  const raw = readCifar('cifar100', dir);
  assert.equal(raw.numClasses, 100);
  assert.equal(raw.train.n, 20);
  assert.deepEqual(
    [...raw.train.y],
    Array.from({ length: 20 }, (_, i) => (i * 7) % 100),
  );
  assert.deepEqual(
    [...raw.test.y],
    Array.from({ length: 6 }, (_, i) => (i * 7) % 100),
  );
  assert.equal(raw.test.x[5 * 3072 + (1 * 32 + 2) * 3 + 1], cifarPixel(505, 1, 2, 1));
});

test('the standard subfolder under --data-dir is found', () => {
  writeCifar10Dir(join(root, 'parent', 'cifar-10-batches-bin'), 2, 2);
  assert.equal(readCifar('cifar10', join(root, 'parent')).train.n, 10);
  writeCifar100Dir(join(root, 'parent', 'cifar-100-binary'), 3, 2);
  assert.equal(readCifar('cifar100', join(root, 'parent')).train.n, 3);
});

test('a truncated record file is a SprigError with a fix', () => {
  const dir = join(root, 'c10trunc');
  writeCifar10Dir(dir, 2, 2);
  const p = join(dir, 'data_batch_3.bin');
  writeFileSync(p, readFileSync(p).subarray(0, 3073 + 100));
  assert.throws(
    () => readCifar('cifar10', dir),
    (e: unknown) =>
      e instanceof SprigError &&
      /data_batch_3\.bin is truncated/.test(e.message) &&
      /3073-byte records/.test(e.message) &&
      !!e.fix,
  );
});

test('a bad label byte is a SprigError', () => {
  const dir = join(root, 'c10label');
  writeCifar10Dir(dir, 1, 1);
  const p = join(dir, 'test_batch.bin');
  const b = readFileSync(p);
  b[0] = 12;
  writeFileSync(p, b);
  assert.throws(
    () => readCifar('cifar10', dir),
    (e: unknown) => e instanceof SprigError && /label 12/.test(e.message),
  );
});

test('missing files: the error names them and the --data-dir fix', () => {
  assert.throws(
    () => readCifar('cifar10', join(root, 'nothing')),
    (e: unknown) =>
      e instanceof SprigError && /data_batch_1\.bin/.test(e.message) && /--data-dir/.test(e.fix ?? ''),
  );
  assert.throws(
    () => loadDataset({ name: 'cifar100' }),
    (e: unknown) =>
      e instanceof SprigError && /--data-dir/.test(e.fix ?? '') && /train\.bin, test\.bin/.test(e.fix ?? ''),
  );
});

test('loadDataset normalises CIFAR per channel and augments by default', () => {
  const dir = join(root, 'c10load');
  writeCifar10Dir(dir, 2, 2);
  const ds = loadDataset({ name: 'cifar10', dataDir: dir });
  assert.equal(ds.augment, true);
  assert.deepEqual(ds.normalisation, CIFAR10_NORMALISATION);
  assert.equal(ds.train.x.length, 10 * 3072);
  const { mean, std } = CIFAR10_NORMALISATION;
  for (const [k, r, c, ch] of [
    [3, 1, 2, 0],
    [9, 30, 4, 2],
    [6, 7, 7, 1],
  ] as const) {
    const expected = (cifarPixel(k, r, c, ch) / 255 - mean[ch]!) / std[ch]!;
    assert.ok(Math.abs(ds.train.x[k * 3072 + (r * 32 + c) * 3 + ch]! - expected) < 1e-5);
  }
  assert.equal(loadDataset({ name: 'cifar10', dataDir: dir, augment: false }).augment, false);
});

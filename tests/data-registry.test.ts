import assert from 'node:assert/strict';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { clearDataCache, dataCacheSize } from '../src/data/cache.js';
import { MNIST_NORMALISATION, FASHION_MNIST_NORMALISATION } from '../src/data/normalise.js';
import { DATASET_NAMES, datasetInfo, loadDataset, splitIndices } from '../src/data/registry.js';
import type { Split } from '../src/data/types.js';
import { SprigError } from '../src/util/errors.js';
import { tempDir, writeMnistDir } from './data-fixtures.js';

const root = tempDir();
const mnistDir = join(root, 'mnist');
writeMnistDir(mnistDir, 300, 40, true);

/** Recovers each example's index from its two tag pixels (see taggedImages). */
function tags(s: Split, norm = MNIST_NORMALISATION): number[] {
  const px = (v: number) => Math.round((v * norm.std[0]! + norm.mean[0]!) * 255) + 0; // + 0 turns -0 into 0
  return Array.from({ length: s.n }, (_, i) => px(s.x[i * 784]!) + 256 * px(s.x[i * 784 + 1]!));
}

test('DATASET_NAMES and unknown names', () => {
  assert.deepEqual([...DATASET_NAMES], ['fashion_mnist', 'mnist', 'cifar10', 'cifar100', 'synthetic']);
  assert.throws(
    () => loadDataset({ name: 'imagenet' }),
    (e: unknown) =>
      e instanceof SprigError &&
      /unknown dataset 'imagenet'/.test(e.message) &&
      /fashion_mnist, mnist, cifar10, cifar100, synthetic/.test(e.fix ?? ''),
  );
  assert.deepEqual(datasetInfo('cifar100').inputShape, [32, 32, 3]);
  assert.equal(datasetInfo('cifar100').numClasses, 100);
});

test('mnist needs --data-dir and says which files', () => {
  assert.throws(
    () => loadDataset({ name: 'mnist' }),
    (e: unknown) =>
      e instanceof SprigError &&
      /--data-dir/.test(e.fix ?? '') &&
      /train-images-idx3-ubyte\.gz/.test(e.fix ?? ''),
  );
  assert.throws(
    () => loadDataset({ name: 'mnist', dataDir: join(root, 'empty') }),
    (e: unknown) =>
      e instanceof SprigError && /t10k-labels-idx1-ubyte/.test(e.message) && /--data-dir/.test(e.fix ?? ''),
  );
});

test('mnist from --data-dir: shapes, labels and normalisation values', () => {
  const ds = loadDataset({ name: 'mnist', dataDir: mnistDir });
  assert.deepEqual(ds.inputShape, [28, 28, 1]);
  assert.equal(ds.numClasses, 10);
  assert.equal(ds.train.n, 300);
  assert.equal(ds.test.n, 40);
  assert.equal(ds.augment, false);
  assert.equal(ds.validation, undefined);
  assert.deepEqual(ds.normalisation, MNIST_NORMALISATION);
  // Example 5: tag pixel 5, second pixel 0, label 5.
  assert.ok(Math.abs(ds.train.x[5 * 784]! - (5 / 255 - 0.1307) / 0.3081) < 1e-6);
  assert.ok(Math.abs(ds.train.x[5 * 784 + 1]! - (0 - 0.1307) / 0.3081) < 1e-6);
  assert.equal(ds.train.y[5], 5);
  assert.deepEqual(
    tags(ds.train),
    Array.from({ length: 300 }, (_, i) => i),
  );
});

test('fashion_mnist from a --data-dir uses the Fashion-MNIST statistics', () => {
  const ds = loadDataset({ name: 'fashion_mnist', dataDir: mnistDir });
  assert.deepEqual(ds.normalisation, FASHION_MNIST_NORMALISATION);
  assert.ok(Math.abs(ds.train.x[255 * 784]! - (255 / 255 - 0.286) / 0.353) < 1e-6);
});

test('validation split: seeded, disjoint from train, together the whole train set', () => {
  const ds = loadDataset({ name: 'mnist', dataDir: mnistDir, validation: 50, seed: 4 });
  assert.equal(ds.train.n, 250);
  assert.equal(ds.validation!.n, 50);
  const tr = tags(ds.train);
  const va = tags(ds.validation!);
  assert.equal(new Set([...tr, ...va]).size, 300);
  assert.deepEqual(
    [...tr, ...va].sort((a, b) => a - b),
    Array.from({ length: 300 }, (_, i) => i),
  );
  assert.deepEqual(
    tr,
    [...tr].sort((a, b) => a - b),
    'file order kept',
  );
  for (let k = 0; k < va.length; k++) assert.equal(ds.validation!.y[k], va[k]! % 10);
  const again = loadDataset({ name: 'mnist', dataDir: mnistDir, validation: 50, seed: 4 });
  assert.deepEqual(tags(again.validation!), va);
  const other = loadDataset({ name: 'mnist', dataDir: mnistDir, validation: 50, seed: 5 });
  assert.notDeepEqual(tags(other.validation!), va);
  assert.equal(ds.test.n, 40, 'test is untouched');
});

test('subset caps the training set and stays disjoint from validation', () => {
  const ds = loadDataset({ name: 'mnist', dataDir: mnistDir, validation: 20, subset: 100, seed: 1 });
  assert.equal(ds.train.n, 100);
  const tr = new Set(tags(ds.train));
  for (const v of tags(ds.validation!)) assert.ok(!tr.has(v));
  assert.equal(loadDataset({ name: 'mnist', dataDir: mnistDir, subset: 1000 }).train.n, 300);
  assert.throws(() => loadDataset({ name: 'mnist', dataDir: mnistDir, validation: 300 }), SprigError);
  assert.throws(() => loadDataset({ name: 'mnist', dataDir: mnistDir, subset: 0 }), SprigError);
  assert.deepEqual(splitIndices(10, {}, 0), {});
});

test('a second load is served from the cache; a changed file is re-read', () => {
  clearDataCache();
  const a = loadDataset({ name: 'mnist', dataDir: mnistDir });
  assert.equal(dataCacheSize(), 1);
  const b = loadDataset({ name: 'mnist', dataDir: mnistDir });
  assert.equal(a.train.x, b.train.x, 'same arrays: not parsed again');
  utimesSync(join(mnistDir, 't10k-labels-idx1-ubyte.gz'), new Date(), new Date(Date.now() + 5000));
  const c = loadDataset({ name: 'mnist', dataDir: mnistDir });
  assert.notEqual(c.train.x, a.train.x);
  assert.deepEqual([...c.train.x.subarray(0, 2000)], [...a.train.x.subarray(0, 2000)]);
});

test('synthetic through the registry, with a validation split', () => {
  const ds = loadDataset({
    name: 'synthetic',
    validation: 12,
    synthetic: { inputShape: [4, 4, 1], nTrain: 60, nTest: 10, numClasses: 3 },
  });
  assert.equal(ds.name, 'synthetic');
  assert.equal(ds.train.n, 48);
  assert.equal(ds.validation!.n, 12);
  assert.equal(ds.train.x.length, 48 * 16);
  const t = loadDataset({ name: 'synthetic', synthetic: { kind: 'teacher', nTrain: 30, nTest: 10 } });
  assert.ok(t.freshSamples);
});

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { FASHION_MNIST_DIR, loadDataset } from '../src/data/registry.js';

const present =
  existsSync(`${FASHION_MNIST_DIR}/train-images-idx3-ubyte.gz`) ||
  existsSync(`${FASHION_MNIST_DIR}/train-images-idx3-ubyte`);
const skip = present
  ? false
  : `Fashion-MNIST not installed in ${FASHION_MNIST_DIR} (sudo apt-get install dataset-fashion-mnist)`;

test('the real Fashion-MNIST: 60000/10000, ten balanced classes, standardised, cached', { skip }, (t) => {
  const t0 = performance.now();
  const ds = loadDataset({ name: 'fashion_mnist' });
  const first = performance.now() - t0;
  assert.deepEqual(ds.inputShape, [28, 28, 1]);
  assert.equal(ds.train.n, 60000);
  assert.equal(ds.test.n, 10000);
  assert.equal(ds.train.x.length, 60000 * 784);
  for (const split of [ds.train, ds.test]) {
    const counts = new Array(10).fill(0);
    for (const y of split.y) {
      assert.ok(y >= 0 && y < 10);
      counts[y]++;
    }
    assert.deepEqual(counts, new Array(10).fill(split.n / 10));
  }
  let s = 0;
  let s2 = 0;
  for (const v of ds.train.x) {
    s += v;
    s2 += v * v;
  }
  const mean = s / ds.train.x.length;
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(Math.sqrt(s2 / ds.train.x.length - mean * mean) - 1) < 0.01);
  const t1 = performance.now();
  const again = loadDataset({ name: 'fashion_mnist' });
  const second = performance.now() - t1;
  // the cache hands back the very arrays it decoded: identity, not a timing, proves nothing was re-read
  assert.equal(again.train.x, ds.train.x);
  assert.equal(again.test.y, ds.test.y);
  t.diagnostic(`first load ${first.toFixed(0)} ms, cached load ${second.toFixed(1)} ms`);
});

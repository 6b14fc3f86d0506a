import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseIdx, readIdx } from '../src/data/idx.js';
import { readMnistFamily } from '../src/data/mnist.js';
import { SprigError } from '../src/util/errors.js';
import { idxBytes, taggedImages, tempDir, writeIdx, writeMnistDir } from './data-fixtures.js';

const dir = tempDir();

/** Asserts fn throws a SprigError whose message matches `re` and which carries a fix. */
function throwsSprig(fn: () => unknown, re: RegExp): SprigError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof SprigError, `expected a SprigError, got ${String(caught)}`);
  assert.match(caught.message, re);
  assert.ok(caught.fix && caught.fix.length > 0, 'the error names a fix');
  return caught;
}

for (const gzip of [false, true]) {
  test(`reads a ${gzip ? 'gzip' : 'raw'} IDX image and label file`, () => {
    const imgs = taggedImages(5, 3, 4);
    writeIdx(join(dir, `img${gzip}`), [5, 3, 4], imgs, gzip);
    writeIdx(join(dir, `lab${gzip}`), [5], [3, 1, 4, 1, 5], gzip);
    const a = readIdx(join(dir, `img${gzip}`), { ndim: 3 });
    assert.deepEqual(a.dims, [5, 3, 4]);
    assert.deepEqual([...a.data], [...imgs]);
    const l = readIdx(join(dir, `lab${gzip}`), { ndim: 1 });
    assert.deepEqual(l.dims, [5]);
    assert.deepEqual([...l.data], [3, 1, 4, 1, 5]);
  });
}

test('wrong magic number is a SprigError naming the file and magic', () => {
  const b = idxBytes([2, 2, 2], new Uint8Array(8));
  b[2] = 0x07; // not a dtype
  const p = join(dir, 'badmagic');
  writeFileSync(p, b);
  const e = throwsSprig(() => readIdx(p), /not a valid IDX file: wrong magic number 0x00000703/);
  assert.ok(e.message.includes(p));
  const z = idxBytes([2], [0, 1]);
  z[0] = 1;
  throwsSprig(() => parseIdx(z, 'z'), /wrong magic/);
});

test('unsupported dtype and wrong dimension count are rejected', () => {
  const b = idxBytes([2], [0, 1]);
  b[2] = 0x0d; // float
  throwsSprig(() => parseIdx(b, 'f'), /element type float/);
  throwsSprig(
    () => parseIdx(idxBytes([2, 1, 1], [0, 1]), 'labels', { ndim: 1 }),
    /3 dimensions .* expected 1/,
  );
});

test('truncated and over-long files are rejected with the byte counts', () => {
  const full = idxBytes([4, 2, 2], new Uint8Array(16));
  const raw = join(dir, 'trunc-raw');
  writeFileSync(raw, full.subarray(0, full.length - 3));
  throwsSprig(() => readIdx(raw), /truncated: 29 bytes, but dimensions \[4, 2, 2\] need 32/);
  throwsSprig(() => parseIdx(full.subarray(0, 10), 'h'), /truncated header/);
  throwsSprig(() => parseIdx(Buffer.concat([full, Buffer.from([1])]), 't'), /trailing bytes/);
  throwsSprig(() => parseIdx(Buffer.from([0, 0]), 's'), /too short/);
});

test('a truncated gzip stream is a SprigError, not a zlib crash', () => {
  const gz = gzipSync(idxBytes([50, 8, 8], taggedImages(50, 8, 8)));
  const p = join(dir, 'trunc.gz');
  writeFileSync(p, gz.subarray(0, Math.floor(gz.length / 2)));
  const e = throwsSprig(
    () => readIdx(p, { fix: 'reinstall dataset-fashion-mnist' }),
    /corrupt or truncated gzip/,
  );
  assert.equal(e.fix, 'reinstall dataset-fashion-mnist');
});

test('a missing file is a SprigError', () => {
  throwsSprig(() => readIdx(join(dir, 'nope')), /cannot read dataset file/);
});

test('readMnistFamily reads a folder of raw or gzip files and checks them', () => {
  for (const gzip of [false, true]) {
    const d = join(dir, `mnist-${gzip}`);
    writeMnistDir(d, 30, 12, gzip, 6, 5);
    const raw = readMnistFamily(d, { label: 'MNIST', missingFix: 'm', corruptFix: 'c' });
    assert.deepEqual(raw.inputShape, [6, 5, 1]);
    assert.equal(raw.train.n, 30);
    assert.equal(raw.test.n, 12);
    assert.equal(raw.train.y[13], 3);
    assert.equal(raw.train.x[13 * 30], 13); // tag pixel
  }
  const d = join(dir, 'mnist-bad');
  writeMnistDir(d, 30, 12, false, 6, 5);
  writeIdx(join(d, 't10k-labels-idx1-ubyte'), [11], new Array(11).fill(0), false);
  throwsSprig(
    () => readMnistFamily(d, { label: 'MNIST', missingFix: 'm', corruptFix: 'c' }),
    /12 images but .* 11 labels/,
  );
  writeIdx(join(d, 't10k-labels-idx1-ubyte'), [12], [...new Array(11).fill(0), 10], false);
  throwsSprig(
    () => readMnistFamily(d, { label: 'MNIST', missingFix: 'm', corruptFix: 'c' }),
    /label 10 at index 11/,
  );
  const e = throwsSprig(
    () => readMnistFamily(join(dir, 'empty'), { label: 'MNIST', missingFix: 'get it', corruptFix: 'c' }),
    /MNIST files not found .*train-images-idx3-ubyte\[\.gz\]/,
  );
  assert.equal(e.fix, 'get it');
  assert.ok(readFileSync(join(d, 'train-images-idx3-ubyte')).length > 0);
});

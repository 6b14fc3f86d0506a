import assert from 'node:assert/strict';
import { test } from 'node:test';
import { augmentBatch, augmentOptionsFor } from '../src/data/augment.js';
import { CIFAR10_NORMALISATION } from '../src/data/normalise.js';
import type { Batch, Dataset } from '../src/data/types.js';
import { Rng } from '../src/util/rng.js';

/** An Rng stand-in replaying fixed draws: int(n) returns the next scripted integer, next() the next fraction. */
function scripted(ints: number[], fracs: number[]): Rng {
  return { int: () => ints.shift()!, next: () => fracs.shift()! } as unknown as Rng;
}

// A 3×4 two-channel image: channel 0 = 10·row + col, channel 1 = −(10·row + col).
function handImage(): Batch {
  const x = new Float32Array(3 * 4 * 2);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 4; c++) {
      x[(r * 4 + c) * 2] = 10 * r + c;
      x[(r * 4 + c) * 2 + 1] = -(10 * r + c);
    }
  }
  return { x, y: Int32Array.of(1), n: 1 };
}

function channel(x: Float32Array, ch: number): number[][] {
  return [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => x[(r * 4 + c) * 2 + ch]!));
}

const shape: [number, number, number] = [3, 4, 2];

test('no shift and no flip is the identity', () => {
  const b = handImage();
  const out = augmentBatch(b, scripted([1, 1], [0.9]), { inputShape: shape, pad: 1 });
  assert.deepEqual([...out.x], [...b.x]);
  assert.notEqual(out.x, b.x, 'a new buffer by default');
});

test('flip mirrors each row', () => {
  const out = augmentBatch(handImage(), scripted([], [0.1]), { inputShape: shape, pad: 0 });
  assert.deepEqual(channel(out.x, 0), [
    [3, 2, 1, 0],
    [13, 12, 11, 10],
    [23, 22, 21, 20],
  ]);
  assert.deepEqual(channel(out.x, 1)[0], [-3, -2, -1, -0]);
});

test('crop shifts the image and fills the padding', () => {
  // dy = 2 - 1 = +1 (show rows 1..3), dx = 0 - 1 = -1 (show cols -1..2), no flip.
  const out = augmentBatch(handImage(), scripted([2, 0], [0.7]), {
    inputShape: shape,
    pad: 1,
    fill: [-5, 5],
  });
  assert.deepEqual(channel(out.x, 0), [
    [-5, 10, 11, 12],
    [-5, 20, 21, 22],
    [-5, -5, -5, -5],
  ]);
  assert.deepEqual(channel(out.x, 1)[0], [5, -10, -11, -12]);
});

test('crop then flip, in place', () => {
  const b = handImage();
  // dy = 0 - 1 = -1, dx = 2 - 1 = +1, flipped.
  const out = augmentBatch(b, scripted([0, 2], [0.2]), { inputShape: shape, pad: 1 }, b.x);
  assert.equal(out.x, b.x);
  assert.deepEqual(channel(out.x, 0), [
    [0, 0, 0, 0],
    [0, 3, 2, 1],
    [0, 13, 12, 11],
  ]);
});

test('batch shapes are kept, each image drawn separately, reproducible by seed', () => {
  const n = 6;
  const b: Batch = {
    x: new Float32Array(n * 32 * 32 * 3).map((_, i) => (i % 97) / 97),
    y: new Int32Array(n).fill(2),
    n,
    indices: Int32Array.of(0, 1, 2, 3, 4, 5),
  };
  const opts = { inputShape: [32, 32, 3] as [number, number, number] };
  const a1 = augmentBatch(b, new Rng(5), opts);
  const a2 = augmentBatch(b, new Rng(5), opts);
  const a3 = augmentBatch(b, new Rng(6), opts);
  assert.equal(a1.x.length, b.x.length);
  assert.equal(a1.n, n);
  assert.equal(a1.y, b.y);
  assert.equal(a1.indices, b.indices);
  assert.deepEqual([...a1.x], [...a2.x]);
  assert.notDeepEqual([...a1.x], [...a3.x]);
});

test('augmentOptionsFor pads with black in normalised units', () => {
  const ds = { inputShape: [32, 32, 3], normalisation: CIFAR10_NORMALISATION } as unknown as Dataset;
  const o = augmentOptionsFor(ds);
  assert.deepEqual(o.inputShape, [32, 32, 3]);
  o.fill!.forEach((f, ch) =>
    assert.ok(Math.abs(f - -CIFAR10_NORMALISATION.mean[ch]! / CIFAR10_NORMALISATION.std[ch]!) < 1e-12),
  );
});

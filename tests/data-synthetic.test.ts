import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeBlobs, makeSynthetic, makeTeacherDataset, Teacher } from '../src/data/synthetic.js';
import type { Split } from '../src/data/types.js';
import { SprigError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';

/** Test accuracy of a nearest-class-mean classifier fitted on train: a cheap learnability check. */
function nearestMeanAccuracy(train: Split, test: Split, k: number): number {
  const d = train.x.length / train.n;
  const means = new Float64Array(k * d);
  const counts = new Float64Array(k);
  for (let i = 0; i < train.n; i++) {
    counts[train.y[i]!]!++;
    for (let j = 0; j < d; j++) means[train.y[i]! * d + j]! += train.x[i * d + j]!;
  }
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c * d + j]! /= counts[c]!;
  let right = 0;
  for (let i = 0; i < test.n; i++) {
    let best = -1;
    let bestDist = Infinity;
    for (let c = 0; c < k; c++) {
      let dist = 0;
      for (let j = 0; j < d; j++) dist += (test.x[i * d + j]! - means[c * d + j]!) ** 2;
      if (dist < bestDist) [best, bestDist] = [c, dist];
    }
    if (best === test.y[i]) right++;
  }
  return right / test.n;
}

test('blobs: shapes, balanced labels, deterministic by seed, learnable', () => {
  const ds = makeBlobs({ inputShape: [4, 4, 2], numClasses: 5, nTrain: 200, nTest: 100, seed: 3 });
  assert.deepEqual(ds.inputShape, [4, 4, 2]);
  assert.equal(ds.numClasses, 5);
  assert.equal(ds.train.x.length, 200 * 32);
  assert.equal(ds.test.n, 100);
  const counts = new Array(5).fill(0);
  for (const y of ds.train.y) counts[y]++;
  assert.deepEqual(counts, [40, 40, 40, 40, 40]);
  assert.deepEqual(
    [...makeBlobs({ inputShape: [4, 4, 2], numClasses: 5, nTrain: 200, nTest: 100, seed: 3 }).train.x],
    [...ds.train.x],
  );
  assert.notDeepEqual(
    [...makeBlobs({ inputShape: [4, 4, 2], numClasses: 5, nTrain: 200, nTest: 100, seed: 4 }).train.x],
    [...ds.train.x],
  );
  assert.ok(nearestMeanAccuracy(ds.train, ds.test, 5) > 0.9);
  // Harder with more noise, still above chance.
  const hard = makeBlobs({ noise: 4, seed: 1 });
  const acc = nearestMeanAccuracy(hard.train, hard.test, 4);
  assert.ok(acc > 0.4 && acc < 1, `accuracy ${acc}`);
});

test('teacher: labels in range and roughly balanced; fresh samples are the teacher’s labels', () => {
  const ds = makeTeacherDataset({ inputShape: [6, 6, 1], numClasses: 4, nTrain: 1000, nTest: 200, seed: 2 });
  assert.ok(ds.freshSamples);
  const counts = new Array(4).fill(0);
  for (const y of ds.train.y) counts[y]++;
  for (const c of counts) assert.ok(c > 1000 / 4 / 3, `class counts ${counts}`);
  const f1 = ds.freshSamples(50, new Rng(7));
  const f2 = ds.freshSamples(50, new Rng(7));
  assert.equal(f1.x.length, 50 * 36);
  assert.deepEqual([...f1.x], [...f2.x]);
  assert.deepEqual([...f1.y], [...f2.y]);
  const g = ds.freshSamples(50, new Rng(8));
  assert.notDeepEqual([...g.x], [...f1.x]);
  // The same seed builds the same teacher, so a rebuilt dataset labels fresh samples alike.
  const again = makeSynthetic({
    kind: 'teacher',
    inputShape: [6, 6, 1],
    numClasses: 4,
    nTrain: 1000,
    nTest: 200,
    seed: 2,
  });
  assert.deepEqual([...again.freshSamples!(50, new Rng(7)).y], [...f1.y]);
  assert.deepEqual([...again.test.y], [...ds.test.y]);
});

test('teacher labels are the argmax of its logits', () => {
  const t = new Teacher(5, 3, 8, 11);
  const b = t.freshSamples(20, new Rng(1));
  const z = t.logits(b.x, 20);
  for (let i = 0; i < 20; i++) {
    const row = [z[i * 3]!, z[i * 3 + 1]!, z[i * 3 + 2]!];
    assert.equal(b.y[i], row.indexOf(Math.max(...row)));
  }
});

test('bad synthetic options are SprigErrors', () => {
  assert.throws(() => makeBlobs({ numClasses: 1 }), SprigError);
  assert.throws(() => makeBlobs({ inputShape: [0, 2, 1] }), SprigError);
  assert.throws(() => makeTeacherDataset({ nTrain: -1 }), SprigError);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchStream, gather, sequentialBatches, type BatchPosition } from '../src/data/batches.js';
import type { Batch, Split } from '../src/data/types.js';
import { SprigError } from '../src/util/errors.js';

/** n examples of 3 values each; example i is [i, i + 0.5, -i] with label i mod 4. */
function toySplit(n: number): Split {
  const x = new Float32Array(n * 3);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x.set([i, i + 0.5, -i], i * 3);
    y[i] = i % 4;
  }
  return { x, y, n };
}

const ids = (b: Batch) => Array.from({ length: b.n }, (_, k) => b.x[k * 3]!);

test('gather copies the chosen examples and records their indices', () => {
  const s = toySplit(10);
  const b = gather(s, [7, 2, 2]);
  assert.equal(b.n, 3);
  assert.deepEqual([...b.x], [7, 7.5, -7, 2, 2.5, -2, 2, 2.5, -2]);
  assert.deepEqual([...b.y], [3, 2, 2]);
  assert.deepEqual([...b.indices!], [7, 2, 2]);
  b.x[0] = 99;
  assert.equal(s.x[21], 7, 'a copy, not a view');
  assert.throws(() => gather(s, [10]), RangeError);
});

test('each epoch is a permutation; the last partial batch is kept by default', () => {
  const s = toySplit(10);
  const st = new BatchStream(s, { batchSize: 4, seed: 1 });
  assert.equal(st.batchesPerEpoch, 3);
  for (let e = 0; e < 3; e++) {
    const seen: number[] = [];
    const sizes: number[] = [];
    for (const b of st.restOfEpoch()) {
      seen.push(...ids(b));
      sizes.push(b.n);
      assert.deepEqual(
        [...b.y],
        ids(b).map((i) => i % 4),
      );
    }
    assert.deepEqual(sizes, [4, 4, 2]);
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.equal(st.epoch, e + 1);
  }
});

test('dropLast drops the partial batch', () => {
  const st = new BatchStream(toySplit(10), { batchSize: 4, seed: 1, dropLast: true });
  assert.equal(st.batchesPerEpoch, 2);
  assert.deepEqual(
    [...st.restOfEpoch()].map((b) => b.n),
    [4, 4],
  );
});

test('the same seed gives the same batches; another seed and another epoch differ', () => {
  const run = (seed: number) => {
    const st = new BatchStream(toySplit(50), { batchSize: 8, seed });
    return Array.from({ length: 14 }, () => ids(st.next()));
  };
  assert.deepEqual(run(3), run(3));
  assert.notDeepEqual(run(3), run(4));
  const r = run(3);
  assert.notDeepEqual(r.slice(0, 7), r.slice(7, 14), 'epochs are reshuffled');
});

test('shuffle: false yields the split in order', () => {
  const st = new BatchStream(toySplit(5), { batchSize: 2, shuffle: false });
  assert.deepEqual([...st.restOfEpoch()].map(ids), [[0, 1], [2, 3], [4]]);
});

test('a stream resumed from a saved (JSON) position continues identically', () => {
  const s = toySplit(23);
  for (const cut of [0, 1, 4, 5, 6, 13]) {
    const full = new BatchStream(s, { batchSize: 5, seed: 9 });
    const a = Array.from({ length: 20 }, () => ids(full.next()));
    const first = new BatchStream(s, { batchSize: 5, seed: 9 });
    for (let i = 0; i < cut; i++) first.next();
    const saved = JSON.parse(JSON.stringify(first.position)) as BatchPosition;
    const resumed = new BatchStream(s, { batchSize: 5, seed: 12345, position: saved });
    const b = Array.from({ length: 20 - cut }, () => ids(resumed.next()));
    assert.deepEqual(b, a.slice(cut), `resumed after ${cut} batches`);
  }
});

test('position moves to the next epoch after its last batch', () => {
  const st = new BatchStream(toySplit(6), { batchSize: 3, seed: 2 });
  const p0 = st.position;
  assert.deepEqual([p0.epoch, p0.index], [0, 0]);
  st.next();
  assert.deepEqual([st.position.epoch, st.position.index, st.remainingInEpoch], [0, 1, 1]);
  st.next();
  assert.deepEqual([st.position.epoch, st.position.index], [1, 0]);
  assert.notDeepEqual(st.position.rngState, p0.rngState);
});

test('augmented streams resume identically too', () => {
  const n = 12;
  const s: Split = { x: new Float32Array(n * 4 * 4).map((_, i) => i), y: new Int32Array(n), n };
  const augment = { inputShape: [4, 4, 1] as [number, number, number], pad: 1 };
  const full = new BatchStream(s, { batchSize: 5, seed: 1, augment });
  const a = Array.from({ length: 7 }, () => [...full.next().x]);
  const part = new BatchStream(s, { batchSize: 5, seed: 1, augment });
  part.next();
  part.next();
  const resumed = new BatchStream(s, { batchSize: 5, position: part.position, augment });
  assert.deepEqual(
    Array.from({ length: 5 }, () => [...resumed.next().x]),
    a.slice(2),
  );
  assert.equal(s.x[17], 17, 'the split itself is not touched');
});

test('bad batch sizes and positions are SprigErrors', () => {
  const s = toySplit(10);
  assert.throws(
    () => new BatchStream(s, { batchSize: 11 }),
    (e: unknown) =>
      e instanceof SprigError &&
      /larger than the dataset \(10/.test(e.message) &&
      /at most 10/.test(e.fix ?? ''),
  );
  assert.throws(() => new BatchStream(s, { batchSize: 0 }), SprigError);
  assert.throws(() => new BatchStream(s, { batchSize: 2.5 }), SprigError);
  assert.throws(
    () => new BatchStream(s, { batchSize: 5, position: { epoch: 0, index: 2, rngState: [1, 2, 3, 4] } }),
    (e: unknown) => e instanceof SprigError && /does not fit/.test(e.message),
  );
});

test('sequentialBatches covers the split in order', () => {
  const s = toySplit(7);
  const bs = [...sequentialBatches(s, 3)];
  assert.deepEqual(
    bs.map((b) => b.n),
    [3, 3, 1],
  );
  assert.deepEqual(bs.flatMap(ids), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...bs[2]!.y], [2]);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countActive, denseMasks, density, sizeOf, type Masks } from '../src/sparsity/mask.js';
import {
  checkLevels,
  globalMaskFromScores,
  kthSmallest,
  magnitudePrune,
  maskFromScores,
  pruneByScores,
  randomMasks,
  randomMasksLike,
  randomPrune,
} from '../src/sparsity/prune.js';
import { Rng } from '../src/util/rng.js';

import { bias, dense } from './spec-fixtures.js';
const binary = (m: Masks) => [...m.values()].every((v) => v.every((x) => x === 0 || x === 1));

test('layer scope, hand case: removes round(p·active) smallest |w| per layer', () => {
  const specs = [dense('a', 2, 3), dense('b', 2, 2, true)];
  const w = new Map([
    ['a', Float32Array.from([0.1, -5, 0.3, 2, -0.05, 1])],
    ['b', Float32Array.from([10, 20, -30, 40])],
  ]);
  const m = magnitudePrune(specs, denseMasks(specs), w, { fraction: 0.5, scope: 'layer' });
  assert.deepEqual([...m.get('a')!], [0, 1, 0, 1, 0, 1]);
  assert.deepEqual([...m.get('b')!], [0, 0, 1, 1]);
});

test('global scope: one threshold across layers', () => {
  const specs = [dense('a', 2, 3), dense('b', 2, 2, true)];
  const w = new Map([
    ['a', Float32Array.from([0.1, -5, 0.3, 2, -0.05, 1])],
    ['b', Float32Array.from([10, 20, -30, 40])],
  ]);
  // 10 weights, p = 0.5 → the 5 smallest overall (0.05, 0.1, 0.3, 1, 2), all in layer a
  const m = magnitudePrune(specs, denseMasks(specs), w, { fraction: 0.5, scope: 'global' });
  assert.deepEqual([...m.get('a')!], [0, 1, 0, 0, 0, 0]);
  assert.deepEqual([...m.get('b')!], [1, 1, 1, 1]);
});

test('per-layer overrides: output at half rate (LTH), rates map, excluded layers', () => {
  const specs = [dense('a', 10, 10), bias('a.bias', 10), dense('b', 10, 10), dense('out', 10, 10, true)];
  const rng = new Rng(1);
  const w = new Map(
    specs
      .filter((s) => s.prunable)
      .map((s) => [s.name, Float32Array.from({ length: 100 }, () => rng.normal())]),
  );
  let m = magnitudePrune(specs, denseMasks(specs), w, {
    fraction: 0.2,
    scope: 'layer',
    outputRate: 0.1,
    rates: { b: 0.5 },
  });
  assert.deepEqual([...m.values()].map(countActive), [80, 50, 90]);
  m = magnitudePrune(specs, denseMasks(specs), w, {
    fraction: 0.2,
    scope: 'global',
    outputRate: 0.1,
    exclude: ['b'],
  });
  assert.equal(countActive(m.get('b')!), 100);
  assert.equal(countActive(m.get('out')!), 90);
  assert.equal(countActive(m.get('a')!), 80); // the pool holds only 'a'
});

test('only active weights are candidates; input masks are not modified', () => {
  const specs = [dense('a', 1, 4)];
  const start = new Map([['a', Float32Array.from([0, 1, 1, 1])]]);
  const w = new Map([['a', Float32Array.from([0, 3, 1, 2])]]);
  const m = magnitudePrune(specs, start, w, { fraction: 0.34, scope: 'layer' });
  assert.deepEqual([...m.get('a')!], [0, 1, 0, 1]);
  assert.deepEqual([...start.get('a')!], [0, 1, 1, 1]);
});

test('ties broken deterministically: the later index goes first', () => {
  const specs = [dense('a', 1, 6)];
  const scores = new Map([['a', Float32Array.from([1, 1, 1, 1, 1, 1])]]);
  const m = pruneByScores(specs, denseMasks(specs), scores, { fraction: 0.5, scope: 'layer' });
  assert.deepEqual([...m.get('a')!], [1, 1, 1, 0, 0, 0]);
  const k = maskFromScores(scores, new Map([['a', 0.5]]));
  assert.deepEqual([...k.get('a')!], [1, 1, 1, 0, 0, 0]);
});

test('invariant: density after L levels at p is (1−p)^L, exact counts, binary masks (LeNet-300-100)', () => {
  const specs = [dense('fc1', 784, 300), dense('fc2', 300, 100), dense('fc3', 100, 10, true)];
  const rng = new Rng(7);
  const w = new Map(
    specs.map((s) => [s.name, Float32Array.from({ length: sizeOf(s.shape) }, () => rng.normal())]),
  );
  let m = denseMasks(specs);
  const expected = new Map(specs.map((s) => [s.name, sizeOf(s.shape)]));
  for (let level = 1; level <= 8; level++) {
    m = magnitudePrune(specs, m, w, { fraction: 0.2, scope: 'layer', outputRate: 0.1 });
    for (const s of specs) {
      const a = expected.get(s.name)!;
      expected.set(s.name, a - Math.round((s.isOutput ? 0.1 : 0.2) * a));
      assert.equal(countActive(m.get(s.name)!), expected.get(s.name));
    }
    assert.ok(Math.abs(density(m.get('fc1')!) - 0.8 ** level) < 1e-4, `level ${level}`);
    assert.ok(Math.abs(density(m.get('fc3')!) - 0.9 ** level) < 5e-3);
    assert.ok(binary(m));
  }
  // global pool: total density follows (1−p)^L as well
  let g = denseMasks(specs);
  for (let level = 1; level <= 5; level++)
    g = magnitudePrune(specs, g, w, { fraction: 0.2, scope: 'global' });
  const total = [...g.values()].reduce((a, v) => a + countActive(v), 0);
  assert.ok(Math.abs(total / 266200 - 0.8 ** 5) < 1e-5);
  // and global differs from layer-wise per layer (small fc3 weights are not special)
  assert.ok(binary(g));
});

test('maskFromScores keeps the top-k per layer; globalMaskFromScores keeps the top-k overall', () => {
  const scores = new Map([
    ['a', Float32Array.from([5, 1, 4, 2])],
    ['b', Float32Array.from([3, 6])],
  ]);
  const m = maskFromScores(
    scores,
    new Map([
      ['a', 0.5],
      ['b', 0.5],
    ]),
  );
  assert.deepEqual([...m.get('a')!], [1, 0, 1, 0]);
  assert.deepEqual([...m.get('b')!], [0, 1]);
  const g = globalMaskFromScores(scores, 0.5);
  assert.deepEqual([...g.get('a')!], [1, 0, 1, 0]);
  assert.deepEqual([...g.get('b')!], [0, 1]);
  const g2 = globalMaskFromScores(scores, 4 / 6);
  assert.deepEqual([...g2.get('a')!, ...g2.get('b')!], [1, 0, 1, 0, 1, 1]);
  assert.throws(() => maskFromScores(scores, new Map([['a', 0.5]])), /no density for layer 'b'/);
});

test('random masks: exact per-layer counts, seeded and reproducible', () => {
  const specs = [dense('fc1', 784, 300), bias('b', 300), dense('fc2', 300, 100)];
  const d = new Map([
    ['fc1', 0.0796],
    ['fc2', 0.2302],
  ]);
  const a = randomMasks(specs, d, new Rng(3));
  const b = randomMasks(specs, d, new Rng(3));
  assert.equal(countActive(a.get('fc1')!), Math.round(0.0796 * 235200));
  assert.equal(countActive(a.get('fc2')!), Math.round(0.2302 * 30000));
  assert.deepEqual([...a.get('fc1')!], [...b.get('fc1')!]);
  assert.notDeepEqual([...a.get('fc1')!], [...randomMasks(specs, d, new Rng(4)).get('fc1')!]);
  const like = randomMasksLike(a, new Rng(5));
  assert.equal(countActive(like.get('fc2')!), countActive(a.get('fc2')!));
  assert.notDeepEqual([...like.get('fc2')!], [...a.get('fc2')!]);
});

test('randomPrune removes the same counts as magnitude pruning', () => {
  const specs = [dense('a', 20, 20), dense('out', 20, 5, true)];
  const rng = new Rng(11);
  const w = new Map(
    specs.map((s) => [s.name, Float32Array.from({ length: sizeOf(s.shape) }, () => rng.normal())]),
  );
  const opts = { fraction: 0.3, scope: 'layer' as const, outputRate: 0.15 };
  const mag = magnitudePrune(specs, denseMasks(specs), w, opts);
  const rnd = randomPrune(specs, denseMasks(specs), opts, new Rng(2));
  for (const s of specs) assert.equal(countActive(rnd.get(s.name)!), countActive(mag.get(s.name)!));
});

test('checkLevels and bad options: SprigError naming the layer', () => {
  const specs = [dense('big', 100, 100), dense('tiny', 2, 2, true)];
  // tiny: 4 → 2 → 1 → 0 at p = 0.6 (round(0.6)=1)
  assert.throws(
    () => checkLevels(specs, 3, { fraction: 0.6, scope: 'layer' }),
    /leave layer 'tiny' with no weights at level 3[\s\S]*at most 2 levels/,
  );
  const left = checkLevels(specs, 2, { fraction: 0.6, scope: 'layer' });
  assert.deepEqual([...left.values()], [1600, 1]);
  checkLevels(specs, 30, { fraction: 0.2, scope: 'layer', outputRate: 0.1, exclude: ['tiny'] });
  assert.throws(
    () => checkLevels(specs, 30, { fraction: 0.9, scope: 'global' }),
    /globally pruned layers \('big', 'tiny'\)/,
  );
  assert.throws(
    () => magnitudePrune(specs, denseMasks(specs), new Map(), { fraction: 1, scope: 'layer' }),
    /pruning fraction 1 is outside \(0, 1\)/,
  );
  assert.throws(
    () => checkLevels(specs, 1, { fraction: 0.2, scope: 'layer', rates: { nope: 0.1 } }),
    /unknown prunable layer 'nope'/,
  );
  assert.throws(
    () => checkLevels(specs, 1, { fraction: 0.2, scope: 'sideways' as 'layer' }),
    /unknown prune scope/,
  );
});

test('kthSmallest equals the sorted array at k, with ties, ±0 and ±Infinity', () => {
  assert.equal(kthSmallest(Float64Array.from([3, 1, 2]), 0), 1);
  assert.equal(kthSmallest(Float64Array.from([3, 1, 2]), 2), 3);
  assert.equal(kthSmallest(Float64Array.from([5, 5, 5, 5]), 2), 5);
  const rng = new Rng(3);
  for (const n of [1, 2, 7, 100, 1001]) {
    for (const levels of [3, 1000]) {
      const a = Float64Array.from({ length: n }, () => Math.floor(rng.next() * levels) - levels / 2);
      a[0] = -Infinity;
      if (n > 2) a[n - 1] = Infinity;
      if (n > 3) a[1] = -0;
      const sorted = a.slice().sort();
      for (const k of [0, n >> 1, n - 1, (n * 7) >> 3])
        assert.equal(kthSmallest(a.slice(), k), sorted[k], `n ${n} k ${k}`);
    }
  }
});

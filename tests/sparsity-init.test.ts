import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskedFanIn, maskedFanOut, sparseInit, unitScaledInit } from '../src/sparsity/init.js';
import { randomMasks } from '../src/sparsity/prune.js';
import { Rng } from '../src/util/rng.js';

import { conv as convSpec, dense } from './spec-fixtures.js';
const conv = (name: string, k: number, cin: number, cout: number) => convSpec(name, k, k, cin, cout, 4);

test('masked fan-in/fan-out, dense [in, out]', () => {
  const s = dense('fc', 3, 2);
  // rows = inputs: [1 1], [0 1], [1 0]
  const m = Float32Array.from([1, 1, 0, 1, 1, 0]);
  assert.deepEqual([...maskedFanIn(s, m)], [2, 2]);
  assert.deepEqual([...maskedFanOut(s, m)], [2, 1, 1]);
});

test('masked fan-in of a conv is Σ over kh, kw, cin per cout', () => {
  const s = conv('c', 2, 3, 2); // 2·2·3·2 = 24
  const m = new Float32Array(24);
  // activate every entry of cout 1, and one entry of cout 0 (kh=1, kw=0, cin=2)
  for (let i = 0; i < 24; i++) if (i % 2 === 1) m[i] = 1;
  m[((1 * 2 + 0) * 3 + 2) * 2 + 0] = 1;
  assert.deepEqual([...maskedFanIn(s, m)], [1, 12]);
  assert.deepEqual([...maskedFanOut(s, m)], [4, 4, 5]);
});

test('unit_scaled with scale 1: each unit has variance ≈ 1/fan_in under the mask (big layer)', () => {
  const s = dense('fc', 2000, 4);
  const rng = new Rng(9);
  // unit j keeps a different number of inputs: 2000, 500, 100, 20 (fan-ins)
  const keep = [2000, 500, 100, 20];
  const m = new Float32Array(8000);
  keep.forEach((k, j) => {
    const perm = rng.permutation(2000);
    for (let r = 0; r < k; r++) m[perm[r]! * 4 + j] = 1;
  });
  // average over many draws to estimate the per-unit variance
  const sums = [0, 0, 0, 0];
  const draws = 200;
  for (let d = 0; d < draws; d++) {
    const w = unitScaledInit(s, m, rng, { scale: 1 });
    for (let i = 0; i < w.length; i++) {
      if (m[i] === 0) assert.equal(w[i], 0);
      sums[i % 4]! += w[i]! ** 2;
    }
  }
  keep.forEach((k, j) => {
    const v = sums[j]! / (draws * k);
    assert.ok(Math.abs(v * k - 1) < 0.1, `unit ${j}: var·fan_in = ${v * k}`);
  });
  // scale and the uniform variant keep the same variance
  let u = 0;
  const wu = unitScaledInit(s, m, rng, { distribution: 'uniform', scale: 2 });
  for (let i = 0; i < wu.length; i += 4) u += wu[i]! ** 2;
  assert.ok(Math.abs(u / 2000 / (2 / 2000) - 1) < 0.1); // unit 0: 2000 samples, var = 2/2000
});

test('sparseInit: dense masks the model init, layer_scaled divides by √density, unit_scaled redraws', () => {
  const specs = [dense('fc', 50, 40)];
  const rng = new Rng(1);
  const masks = randomMasks(specs, new Map([['fc', 0.25]]), rng);
  const base = Float32Array.from({ length: 2000 }, () => rng.normal());
  const m = masks.get('fc')!;

  const d = sparseInit(specs, new Map([['fc', base.slice()]]), masks, 'dense', rng).get('fc')!;
  const l = sparseInit(specs, new Map([['fc', base.slice()]]), masks, 'layer_scaled', rng).get('fc')!;
  for (let i = 0; i < 2000; i++) {
    assert.equal(d[i], m[i] ? base[i] : 0);
    assert.ok(Math.abs(l[i]! - (m[i] ? base[i]! * 2 : 0)) < 1e-6);
  }
  const u = sparseInit(specs, new Map([['fc', base.slice()]]), masks, 'unit_scaled', rng).get('fc')!;
  for (let i = 0; i < 2000; i++) if (!m[i]) assert.equal(u[i], 0);
  assert.throws(
    () => sparseInit(specs, new Map([['fc', base.slice()]]), masks, 'lecun' as 'dense', rng),
    /unknown sparse init 'lecun'/,
  );
});

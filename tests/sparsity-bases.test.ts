import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkBasisFits,
  dctBasis,
  dctMatrix,
  identityBasis,
  makeBasis,
  orthogonalBasis,
  type Basis,
  type BasisMatrices,
} from '../src/sparsity/bases.js';
import { sizeOf } from '../src/sparsity/mask.js';
import { Rng } from '../src/util/rng.js';

import { bias as biasSpec, conv as convSpec, dense } from './spec-fixtures.js';
const conv = (name: string, kh: number, kw: number, cin: number, cout: number) =>
  convSpec(name, kh, kw, cin, cout, 9);
const bias = biasSpec('fc.bias', 4);

const norm = (x: Float32Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0));
const randn = (n: number, seed: number) => {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
};
const specs = [
  dense('fc1', 20, 12),
  dense('fc2', 784, 300),
  dense('small', 5, 3),
  dense('img', 60, 4), // a 4×5×3 image's pixels: the image layout with channels
  conv('c1', 3, 3, 2, 4),
  conv('c2', 5, 5, 3, 2),
  conv('pw', 1, 1, 4, 4),
];

const IMAGE = [28, 28, 1];
for (const basis of [
  identityBasis(),
  dctBasis(),
  orthogonalBasis({ seed: 3 }),
  dctBasis({ block: 4 }),
  dctBasis({ image: IMAGE }),
  dctBasis({ image: [4, 5, 3] }),
]) {
  test(`${basis.name}: θ → c → θ round trip and norms preserved`, () => {
    for (const s of specs) {
      const theta = randn(sizeOf(s.shape), 1);
      const c = basis.toCoeffs(s, theta);
      assert.equal(c.length, theta.length);
      assert.ok(Math.abs(norm(c) - norm(theta)) < 1e-5 * norm(theta), `${s.name} norm`);
      const back = basis.fromCoeffs(s, c);
      for (let i = 0; i < theta.length; i++)
        assert.ok(Math.abs(back[i]! - theta[i]!) < 1e-5, `${s.name}[${i}]`);
    }
  });
}

test('identity is exactly the identity', () => {
  const b = identityBasis();
  const theta = randn(240, 2);
  assert.deepEqual([...b.toCoeffs(specs[0]!, theta)], [...theta]);
  assert.deepEqual([...b.fromCoeffs(specs[0]!, theta)], [...theta]);
  assert.notEqual(b.toCoeffs(specs[0]!, theta), theta); // a copy
  const m = b.blockMatrices(specs[0]!);
  assert.equal(m.left, null);
  assert.equal(m.right, null);
  assert.equal(b.fits(bias), null);
});

test('DCT matrix is orthonormal (BᵀB = I)', () => {
  for (const n of [1, 3, 8]) {
    const d = dctMatrix(n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += d[k * n + i]! * d[k * n + j]!;
        assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-12);
      }
  }
});

test('DCT of a constant block or kernel has only the DC coefficient', () => {
  const b = dctBasis();
  const fc = dense('fc', 8, 8);
  const c = b.toCoeffs(fc, new Float32Array(64).fill(2));
  assert.ok(Math.abs(c[0]! - 16) < 1e-5); // 2 · √8 · √8
  for (let i = 1; i < 64; i++) assert.ok(Math.abs(c[i]!) < 1e-5);
  // conv: each (cin, cout) kernel constant → DC at (kh=0, kw=0) of that kernel only
  const cv = conv('c', 3, 3, 2, 2);
  const theta = new Float32Array(36);
  for (let i = 0; i < 36; i++) theta[i] = [1, 2, 3, 4][i % 4]!; // kernel value depends on (cin, cout) only
  const k = b.toCoeffs(cv, theta);
  for (let i = 0; i < 36; i++) {
    const expected = i < 4 ? 3 * [1, 2, 3, 4][i]! : 0;
    assert.ok(Math.abs(k[i]! - expected) < 1e-5, `coef ${i}: ${k[i]}`);
  }
  // 16×16 dense with 8×8 blocks: 4 blocks, each with one DC
  const big = b.toCoeffs(dense('big', 16, 16), new Float32Array(256).fill(1));
  assert.equal([...big].filter((v) => Math.abs(v) > 1e-5).length, 4);
});

test('orthogonal basis is seeded: same seed, same basis; other seed, other basis', () => {
  const s = specs[0]!;
  const theta = randn(240, 5);
  const a = orthogonalBasis({ seed: 1 }).toCoeffs(s, theta);
  assert.deepEqual([...orthogonalBasis({ seed: 1 }).toCoeffs(s, theta)], [...a]);
  assert.notDeepEqual([...orthogonalBasis({ seed: 2 }).toCoeffs(s, theta)], [...a]);
});

/** Rebuilds θ = L · C · Rᵀ with plain matMuls from the exposed matrices. */
function viaMatrices(m: BasisMatrices, c: Float32Array): Float32Array {
  const { rowsN: r, colsN: k } = m;
  const L = (i: number, j: number) => (m.left ? m.left[i * r + j]! : i === j ? 1 : 0);
  const R = (i: number, j: number) => (m.right ? m.right[i * k + j]! : i === j ? 1 : 0);
  const lc = new Float64Array(r * k);
  for (let i = 0; i < r; i++)
    for (let t = 0; t < r; t++) for (let j = 0; j < k; j++) lc[i * k + j]! += L(i, t) * c[t * k + j]!;
  const out = new Float32Array(r * k);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += lc[i * k + t]! * R(j, t);
      out[i * k + j] = s;
    }
  return out;
}

test('blockMatrices: θ = L·C·Rᵀ reproduces fromCoeffs (dense blocks, ragged, conv)', () => {
  for (const basis of [dctBasis(), orthogonalBasis({ seed: 9 })] as Basis[]) {
    for (const s of [dense('fc', 20, 12), conv('c', 3, 3, 2, 3)]) {
      const c = randn(sizeOf(s.shape), 4);
      const m = basis.blockMatrices(s);
      const expect = basis.fromCoeffs(s, c);
      const got = viaMatrices(m, c);
      for (let i = 0; i < c.length; i++) assert.ok(Math.abs(got[i]! - expect[i]!) < 1e-5);
    }
  }
  const m = dctBasis().blockMatrices(dense('fc', 20, 12));
  assert.deepEqual(
    m.leftBlocks!.blocks.map((b) => b.size),
    [8, 8, 4],
  );
  assert.deepEqual(
    m.rightBlocks!.blocks.map((b) => b.size),
    [8, 4],
  );
  const c = dctBasis().blockMatrices(conv('c', 3, 3, 2, 3));
  assert.equal(c.rowsN, 9);
  assert.equal(c.colsN, 6);
  assert.equal(c.right, null);
});

test('fits: says why not; checkBasisFits throws naming the layer', () => {
  assert.match(dctBasis().fits(bias)!, /dense and conv weights/);
  const strict = dctBasis({ remainder: 'error' });
  assert.equal(strict.fits(dense('ok', 16, 4)), null); // 4 < 8: whole dim
  assert.match(
    strict.fits(dense('fc2', 784, 300))!,
    /output dim of 'fc2' \(300\) is not a multiple of the 8×8 block/,
  );
  assert.throws(
    () => checkBasisFits(strict, [dense('fc2', 784, 300)]),
    /basis 'dct' does not fit layer 'fc2'/,
  );
  assert.throws(() => strict.toCoeffs(dense('fc2', 784, 300), new Float32Array(235200)), /not a multiple/);
  checkBasisFits(dctBasis(), specs);
  assert.throws(() => makeBasis('wavelet'), /unknown basis 'wavelet'[\s\S]*identity, dct, orthogonal/);
  assert.equal(makeBasis('dct', { block: 4 }).blockMatrices(dense('fc', 8, 8)).leftBlocks!.blocks.length, 2);
});

test('image layout: a unit whose 28×28 receptive field is one 2-D DCT image has that one coefficient (8-wide blocks of the flattened pixels would spread it)', () => {
  const s = dense('fc1', 784, 3);
  const d = dctMatrix(28);
  const theta = new Float32Array(784 * 3);
  // unit j's receptive field: the (a, b) basis image, outer(column a, column b) of the 28-point DCT
  const waves = [
    [0, 0],
    [3, 7],
    [27, 1],
  ];
  waves.forEach(([a, b], j) => {
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) theta[(y * 28 + x) * 3 + j] = d[y * 28 + a!]! * d[x * 28 + b!]!;
  });
  const nonzero = (c: Float32Array) => [...c.keys()].filter((i) => Math.abs(c[i]!) > 1e-5);
  const c = dctBasis({ image: IMAGE }).toCoeffs(s, theta);
  assert.deepEqual(
    nonzero(c),
    waves.map(([a, b], j) => (a! * 28 + b!) * 3 + j),
  );
  for (const [j, i] of nonzero(c).entries()) assert.ok(Math.abs(c[i]! - 1) < 1e-5, `unit ${j}`);
  assert.ok(nonzero(dctBasis().toCoeffs(s, theta)).length > 3 * 10);
  // other layers keep the block layout; the image option changes nothing there
  const other = dense('fc2', 300, 100);
  const w = randn(300 * 100, 2);
  assert.deepEqual(dctBasis({ image: IMAGE }).toCoeffs(other, w), dctBasis().toCoeffs(other, w));
  // the fast path's two-sided form: one 784 × 784 block on the inputs, identity on the outputs
  const bm = dctBasis({ image: IMAGE }).blockMatrices(s);
  assert.equal(bm.leftBlocks!.blocks.length, 1);
  assert.equal(bm.rightBlocks, null);
});

/**
 * The fast basis reparametrisation (raw-array block GEMMs, one custom op per layer) against the
 * reference float64 transform of bases.ts: θ = B(m ⊙ c) forward, and dθ → dc = m ⊙ Bᵀ dθ backward.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/index.js';
import { basisReparam } from '../src/experiments/lottery-basis.js';
import { makeBasis } from '../src/sparsity/bases.js';
import { sizeOf } from '../src/sparsity/mask.js';
import { Rng } from '../src/util/rng.js';
import { conv, dense } from './spec-fixtures.js';

const specs = [
  dense('ragged', 20, 13),
  dense('even', 16, 24),
  dense('small', 5, 3),
  conv('c', 3, 3, 2, 3, 4),
];

test('fast θ = B(m ⊙ c) and its gradient equal the reference transform (dct, orthogonal; ragged, even, conv)', () => {
  const rng = new Rng(11);
  const draw = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const masks = new Map(
    specs.map((s) => [
      s.name,
      Float32Array.from({ length: sizeOf(s.shape) }, () => (rng.next() < 0.6 ? 1 : 0)),
    ]),
  );
  for (const name of ['dct', 'orthogonal']) {
    const basis = makeBasis(name, { block: 8, seed: 3 });
    const rp = basisReparam(basis, specs, masks);
    for (const s of specs) {
      const m = masks.get(s.name)!;
      const c = draw(m.length);
      const g = draw(m.length); // dL/dθ for L = Σ θ ⊙ g
      const want = basis.fromCoeffs(
        s,
        c.map((v, i) => v * m[i]!),
      );
      const wantGrad = basis.toCoeffs(s, g).map((v, i) => v * m[i]!);
      const [theta, grad] = tf.tidy(() => {
        const ct = tf.tensor(c, s.shape);
        const th = rp.reparam({ [s.name]: ct })[s.name]!.dataSync();
        const gr = tf
          .grads((x: tf.Tensor) =>
            tf.sum(tf.mul(rp.reparam({ [s.name]: x })[s.name]!, tf.tensor(g, s.shape))),
          )([ct])[0]!
          .dataSync();
        return [th, gr];
      }) as unknown as [Float32Array, Float32Array];
      for (let i = 0; i < c.length; i++) {
        assert.ok(Math.abs(theta[i]! - want[i]!) < 1e-5, `${name} ${s.name} θ[${i}]`);
        assert.ok(Math.abs(grad[i]! - wantGrad[i]!) < 1e-5, `${name} ${s.name} dc[${i}]`);
      }
    }
    rp.dispose();
  }
});

test('the ragged last column block (8 + 3 columns) by hand: a coefficient in it is a 3-point DCT vector', () => {
  // A [1, 11] weight: rows are one block of 1 (the identity), columns 8 + 3. The 3-point DCT's
  // vectors, α_k cos(π(2n+1)k/6): (1, 1, 1)/√3, (1, 0, −1)/√2, (1, −2, 1)/√6 (not symmetric as a matrix).
  const s = dense('row', 1, 11);
  const mask = new Map([[s.name, new Float32Array(11).fill(1)]]);
  const rp = basisReparam(makeBasis('dct', { block: 8 }), [s], mask);
  const [r2, r3, r6] = [Math.SQRT1_2, 1 / Math.sqrt(3), 1 / Math.sqrt(6)];
  const vectors = [
    [r3, r3, r3],
    [r2, 0, -r2],
    [r6, -2 * r6, r6],
  ];
  // L = θ[0, 8] gives dL/dc = Bᵀ e_8: the first entry of each vector.
  const wantGrad = [0, 0, 0, 0, 0, 0, 0, 0, r3, r2, r6];
  vectors.forEach((vector, k) => {
    const c = new Float32Array(11);
    c[8 + k] = 1;
    const [theta, grad] = tf.tidy(() => {
      const ct = tf.tensor(c, s.shape);
      const th = rp.reparam({ row: ct }).row!.dataSync();
      const first = (x: tf.Tensor) => tf.sum(tf.slice(rp.reparam({ row: x }).row!, [0, 8], [1, 1]));
      return [th, tf.grads(first)([ct])[0]!.dataSync()];
    }) as unknown as [Float32Array, Float32Array];
    const want = [0, 0, 0, 0, 0, 0, 0, 0, ...vector];
    for (let i = 0; i < 11; i++) {
      assert.ok(
        Math.abs(theta[i]! - want[i]!) < 1e-6,
        `c[${8 + k}] = 1: θ[${i}] = ${theta[i]}, want ${want[i]}`,
      );
      assert.ok(Math.abs(grad[i]! - wantGrad[i]!) < 1e-6, `dc[${i}] = ${grad[i]}, want ${wantGrad[i]}`);
    }
  });
  rp.dispose();
});

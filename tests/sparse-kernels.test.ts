/**
 * The sparse fully-connected op against the dense layer it replaces: forward, dx, dW (at the active
 * connections) and db, on random masks with empty rows and columns, fully dense rows, density 0
 * and density 1, at batch sizes that hit the small-batch path and the padded tails; native (every
 * instruction set this CPU has) and plain JS alike. Also the active-only optimizer updates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/index.js';
import { SparseStructure, createPlan, releasePlan, sparseDenseLayer } from '../src/engine/kernels/sparse.js';
import { sparseAddon, useJsSparseKernels } from '../src/engine/kernels/sparse-addon.js';

const ADAM = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4, step: 3 };

let seed = 4242;
function rand(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
}
const randArr = (n: number): Float32Array => Float32Array.from({ length: n }, () => rand() * 2 - 1);

type MaskKind = 'random' | 'zero' | 'one' | 'structured';
/** 'structured': ~15 % random, plus an empty input row, an empty output column and a fully dense row. */
function makeMask(K: number, N: number, kind: MaskKind): Float32Array {
  const m = new Float32Array(K * N);
  if (kind === 'one') return m.fill(1);
  if (kind === 'zero') return m;
  for (let i = 0; i < m.length; i++) m[i] = rand() < 0.15 ? 1 : 0;
  if (kind === 'structured') {
    for (let n = 0; n < N; n++) m[2 * N + n] = 0; // input 2 feeds nothing
    for (let k = 0; k < K; k++) m[k * N + 1] = 0; // output 1 has no inputs
    for (let n = 0; n < N; n++) m[(K - 1) * N + n] = 1; // the last input feeds every output (but 1)
    m[(K - 1) * N + 1] = 0;
  }
  return m;
}

function maxRel(a: Float32Array, b: Float32Array): number {
  let scale = 1,
    err = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i]! - b[i]!));
  return err / scale;
}

/** Forward and the three gradients of sum(y ⊙ r) for a fixed random r, through `layer`. */
function run(
  layer: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D,
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  r: tf.Tensor2D,
) {
  return tf.tidy(() => {
    const y = layer(x, w, b);
    const g = tf.grads((xx, ww, bb) =>
      tf.sum(tf.mul(layer(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D), r)),
    )([x, w, b]);
    return [y, ...g].map((t) => Float32Array.from(t.dataSync()));
  });
}

function check(K: number, N: number, B: number, kind: MaskKind, act: 'relu' | 'linear', label: string) {
  const mask = makeMask(K, N, kind);
  const wv = randArr(K * N).map((v, i) => v * mask[i]!);
  const x = tf.tensor2d(randArr(B * K), [B, K]);
  const w = tf.tensor2d(wv, [K, N]);
  const b = tf.tensor1d(randArr(N));
  const r = tf.tensor2d(randArr(B * N), [B, N]);
  const dense = run(
    (xx, ww, bb) => tf.fused.matMul({ a: xx, b: ww, bias: bb, activation: act }) as tf.Tensor2D,
    x,
    w,
    b,
    r,
  );
  const s = new SparseStructure(K, N, mask);
  const plan = createPlan(s);
  const sparse = run((xx, ww, bb) => sparseDenseLayer(xx, ww, bb, act, plan), x, w, b, r);
  releasePlan(plan);
  // dW of the dense layer, masked: the sparse op computes it only at active connections
  dense[2] = dense[2]!.map((v, i) => v * mask[i]!);
  const names = ['y', 'dx', 'dW', 'db'];
  for (let i = 0; i < 4; i++) {
    const e = maxRel(sparse[i]!, dense[i]!);
    assert.ok(e < 1e-5, `${label} ${kind} ${K}x${N} B=${B} ${act}: ${names[i]} differs by ${e}`);
  }
  tf.dispose([x, w, b, r]);
}

const shapes: [number, number][] = [
  [37, 23],
  [64, 16],
];
const batches = [1, 5, 8, 37, 128, 300];

function sweep(label: string) {
  for (const [K, N] of shapes)
    for (const kind of ['random', 'zero', 'one', 'structured'] as MaskKind[])
      for (const B of batches)
        for (const act of ['relu', 'linear'] as const) check(K, N, B, kind, act, label);
}

test('SparseStructure: both index sets list the mask, ascending', () => {
  const mask = makeMask(9, 7, 'structured');
  const s = new SparseStructure(9, 7, mask);
  const fromIn: number[] = [],
    fromOut: number[] = [];
  for (let k = 0; k < 9; k++)
    for (let q = s.inPtr[k]!; q < s.inPtr[k + 1]!; q++) fromIn.push(k * 7 + s.inIdx[q]!);
  for (let n = 0; n < 7; n++)
    for (let q = s.outPtr[n]!; q < s.outPtr[n + 1]!; q++) fromOut.push(s.outIdx[q]! * 7 + n);
  const expected = [...mask.keys()].filter((i) => mask[i] !== 0);
  assert.deepEqual(fromIn, expected);
  assert.deepEqual([...s.active], expected);
  assert.deepEqual(
    fromOut.sort((a, b) => a - b),
    expected,
  );
  assert.equal(s.density, expected.length / 63);
});

test('sparse op (plain JS) equals the dense layer at the active connections', () => {
  useJsSparseKernels(true);
  try {
    sweep('js');
  } finally {
    useJsSparseKernels(false);
  }
});

const nat = sparseAddon();
test(
  'sparse op (native, every instruction set) equals the dense layer',
  { skip: !nat && 'native addon not loaded' },
  () => {
    const best = nat!.sparseIsa();
    const isas = ['scalar', 'avx2', 'avx512'].filter((n) => {
      try {
        nat!.sparseIsa(n);
        return true;
      } catch {
        return false;
      }
    });
    assert.ok(isas.includes(best), `best path ${best} among ${isas}`);
    try {
      for (const isa of isas) {
        nat!.sparseIsa(isa);
        sweep(isa);
      }
    } finally {
      nat!.sparseIsa('best');
    }
  },
);

test(
  'sparse op: results do not depend on the thread count',
  { skip: !nat && 'native addon not loaded' },
  () => {
    const K = 300,
      N = 200,
      B = 300; // large enough to run parallel, in three batch chunks
    const mask = makeMask(K, N, 'random');
    const x = tf.tensor2d(randArr(B * K), [B, K]);
    const w = tf.tensor2d(
      randArr(K * N).map((v, i) => v * mask[i]!),
      [K, N],
    );
    const b = tf.tensor1d(randArr(N));
    const r = tf.tensor2d(randArr(B * N), [B, N]);
    const plan = createPlan(new SparseStructure(K, N, mask));
    const layer = (xx: tf.Tensor2D, ww: tf.Tensor2D, bb: tf.Tensor1D) =>
      sparseDenseLayer(xx, ww, bb, 'relu', plan);
    const addon = nat as unknown as { setThreads(n: number): void };
    try {
      addon.setThreads(1);
      const one = run(layer, x, w, b, r);
      addon.setThreads(2);
      const two = run(layer, x, w, b, r);
      for (let i = 0; i < one.length; i++) assert.deepEqual(two[i], one[i]);
    } finally {
      addon.setThreads(Number(process.env.SPRIG_THREADS) || (process.env.NODE_TEST_CONTEXT ? 1 : 0));
      releasePlan(plan);
    }
  },
);

/** Equal values, with +0 and −0 alike (the masked update multiplies pruned weights by 0). */
function sameWeights(a: Float32Array, b: Float32Array): void {
  for (let i = 0; i < a.length; i++) assert.ok(a[i] === b[i], `weight ${i}: ${a[i]} vs ${b[i]}`);
}

test(
  'active-only SGD and Adam updates equal the masked dense updates at the active weights',
  { skip: !nat && 'native addon not loaded' },
  () => {
    const n = 5000;
    const mask = Float32Array.from({ length: n }, () => (rand() < 0.2 ? 1 : 0));
    const idx = Int32Array.from([...mask.keys()].filter((i) => mask[i] !== 0));
    const w0 = randArr(n).map((v, i) => v * mask[i]!);
    const g = randArr(n).map((v, i) => v * mask[i]!);
    const m0 = randArr(n);
    const full = nat as unknown as {
      sgd(...a: unknown[]): void;
      adam(...a: unknown[]): void;
    };
    for (const nesterov of [false, true]) {
      const [wa, ma, wb, mb] = [w0.slice(), m0.slice(), w0.slice(), m0.slice()];
      full.sgd(wa, g, ma, mask, { lr: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov });
      nat!.sgdActive(wb, g, mb, idx, null, null, null, {
        lr: 0.1,
        momentum: 0.9,
        weightDecay: 5e-4,
        nesterov,
      });
      sameWeights(wb, wa);
      for (const i of idx) assert.equal(mb[i], ma[i]);
      // the compact layout: one velocity entry per active weight, in idx order
      const [wc, mc] = [w0.slice(), Float32Array.from(idx, (i) => m0[i]!)];
      nat!.sgdActive(wc, g, mc, idx, null, null, null, {
        lr: 0.1,
        momentum: 0.9,
        weightDecay: 5e-4,
        nesterov,
      });
      sameWeights(wc, wa);
      idx.forEach((i, j) => assert.equal(mc[j], ma[i]));
    }
    assert.throws(
      () =>
        nat!.sgdActive(w0.slice(), g, new Float32Array(7), idx, null, null, null, {
          lr: 0.1,
          momentum: 0.9,
          weightDecay: 0,
          nesterov: false,
        }),
      /moment/,
    );
    const [wa, ma, va, wb, mb, vb] = [
      w0.slice(),
      m0.slice(),
      m0.map(Math.abs),
      w0.slice(),
      m0.slice(),
      m0.map(Math.abs),
    ];
    full.adam(wa, g, ma, va, mask, {
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 1e-4,
      step: 3,
      decoupled: false,
    });
    nat!.adamActive(wb, g, mb, vb, idx, null, null, null, ADAM);
    sameWeights(wb, wa);
    for (const i of idx) assert.equal(vb[i], va[i]);
    const [wc, mc, vc] = [
      w0.slice(),
      Float32Array.from(idx, (i) => m0[i]!),
      Float32Array.from(idx, (i) => Math.abs(m0[i]!)),
    ];
    nat!.adamActive(wc, g, mc, vc, idx, null, null, null, ADAM);
    sameWeights(wc, wa);
    idx.forEach((i, j) => assert.equal(mc[j], ma[i]));
    idx.forEach((i, j) => assert.equal(vc[j], va[i]));
  },
);

test('a plan reused with other weights reads those weights (its compact copies are remade)', () => {
  const [K, N] = [37, 23];
  const mask = makeMask(K, N, 'structured');
  const plan = createPlan(new SparseStructure(K, N, mask));
  for (const B of [1, 37]) {
    const x = tf.tensor2d(randArr(B * K), [B, K]);
    for (let round = 0; round < 2; round++) {
      const w = tf.tensor2d(
        randArr(K * N).map((v, i) => v * mask[i]!),
        [K, N],
      );
      const got = sparseDenseLayer(x, w, undefined, 'linear', plan).dataSync() as Float32Array;
      const want = tf.matMul(x, w).dataSync() as Float32Array;
      assert.ok(maxRel(got, want) < 1e-5, `B=${B} round ${round}: ${maxRel(got, want)}`);
      w.dispose();
    }
    x.dispose();
  }
  releasePlan(plan);
});

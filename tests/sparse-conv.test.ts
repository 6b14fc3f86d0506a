/**
 * Sparse convolution kernels (native/src/sparse_conv*.cc and their JS twins) against the dense
 * convolution of the masked filter: forward, input gradient, and the weight gradient at the active
 * connections (zero elsewhere), on random masks with empty filters, empty input channels, fully
 * dense filters, density 0 and density 1; strided, 1×1, valid and 'same' shapes; batches that are
 * not a multiple of the 16 vector lanes. Every instruction set this CPU has, and the JS kernels.
 * Results must not depend on the thread count. Tolerance: 1e-4 of max |reference| (≥ 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineStatus, tf } from '../src/engine/index.js';
import { nativeAddon } from '../src/engine/native.js';
import { convGeometry, convParams } from '../src/engine/kernels/geometry.js';
import { sparseConvAddon, useJsSparseKernels } from '../src/engine/kernels/sparse-addon.js';
import {
  SparseConvStructure,
  createConvPlan,
  jsSparseConvBwdData,
  jsSparseConvBwdWeights,
  jsSparseConvFwd,
  releaseConvPlan,
  sparseConvLayer,
} from '../src/engine/kernels/sparse-conv.js';

engineStatus();
let seed = 4242;
const rand = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const randArr = (n: number): Float32Array => Float32Array.from({ length: n }, () => rand() * 2 - 1);

interface Case {
  name: string;
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
  pad: 'same' | 'valid';
  density: number;
  /** Output channels with no active weight, input channels with none, output channels fully dense. */
  emptyOut?: number[];
  emptyIn?: number[];
  fullOut?: number[];
}
const CASES: Case[] = [
  {
    name: '3×3 same, mixed mask',
    x: [5, 7, 7, 6],
    f: [3, 3, 6, 8],
    stride: 1,
    pad: 'same',
    density: 0.3,
    emptyOut: [2],
    emptyIn: [3],
    fullOut: [5],
  },
  {
    name: '3×3 stride 2 same',
    x: [17, 8, 8, 4],
    f: [3, 3, 4, 6],
    stride: 2,
    pad: 'same',
    density: 0.5,
    emptyIn: [0],
  },
  {
    name: '1×1 stride 2',
    x: [3, 8, 8, 4],
    f: [1, 1, 4, 8],
    stride: 2,
    pad: 'same',
    density: 0.4,
    emptyOut: [7],
  },
  { name: '5×5 valid, density 1', x: [2, 12, 12, 3], f: [5, 5, 3, 4], stride: 1, pad: 'valid', density: 1 },
  { name: 'density 0', x: [4, 6, 6, 3], f: [3, 3, 3, 5], stride: 1, pad: 'same', density: 0 },
  {
    name: 'batch 130 (full vector blocks)',
    x: [130, 4, 4, 3],
    f: [3, 3, 3, 4],
    stride: 1,
    pad: 'same',
    density: 0.6,
  },
  {
    name: '3×3 stride 2 valid, odd size',
    x: [6, 9, 9, 2],
    f: [3, 3, 2, 3],
    stride: 2,
    pad: 'valid',
    density: 0.7,
  },
];

function maskFor(c: Case): Float32Array {
  const [KH, KW, C, O] = c.f;
  const m = new Float32Array(KH * KW * C * O);
  for (let i = 0; i < m.length; i++) {
    const o = i % O,
      ci = Math.floor(i / O) % C;
    let on = rand() < c.density;
    if (c.fullOut?.includes(o)) on = true;
    if (c.emptyOut?.includes(o) || c.emptyIn?.includes(ci)) on = false;
    m[i] = on ? 1 : 0;
  }
  return m;
}

/** The dense reference: y = relu(conv(x, W⊙m) + b), and the gradients of sum(y ⊙ r). */
function reference(
  c: Case,
  x: Float32Array,
  w: Float32Array,
  m: Float32Array,
  b: Float32Array,
  r: Float32Array,
) {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, c.x),
      wt = tf.mul(tf.tensor4d(w, c.f), tf.tensor4d(m, c.f)) as tf.Tensor4D,
      bt = tf.tensor1d(b);
    const f = (xa: tf.Tensor4D, wa: tf.Tensor4D) =>
      tf.relu(tf.add(tf.conv2d(xa, wa, c.stride, c.pad), bt)) as tf.Tensor4D;
    const y = f(xt, wt);
    const rt = tf.tensor(r, y.shape);
    const [dx, dw] = tf.grads((xa: tf.Tensor, wa: tf.Tensor) =>
      tf.sum(tf.mul(f(xa as tf.Tensor4D, wa as tf.Tensor4D), rt)),
    )([xt, wt]);
    const g = tf.mul(rt, tf.step(y)); // dy masked by the ReLU, as the kernels take it
    return {
      y: y.dataSync() as Float32Array,
      g: g.dataSync() as Float32Array,
      dx: dx!.dataSync() as Float32Array,
      dw: tf.mul(dw!, tf.tensor4d(m, c.f)).dataSync() as Float32Array,
      shape: y.shape,
    };
  });
}

function close(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 1;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++)
    if (!(Math.abs(got[i]! - want[i]!) <= 1e-4 * scale))
      assert.fail(`${what}: element ${i} is ${got[i]}, expected ${want[i]} (scale ${scale})`);
}

function setup(c: Case) {
  const x = randArr(c.x.reduce((a, v) => a * v, 1)),
    m = maskFor(c),
    w = randArr(m.length).map((v, i) => v * m[i]!),
    b = randArr(c.f[3]);
  const ci = tf.backend_util.computeConv2DInfo(
    c.x,
    c.f,
    c.stride,
    1,
    c.pad,
    undefined,
    false,
    'channelsLast',
  );
  const p = convParams(ci);
  const geo = convGeometry(ci);
  const r = randArr(ci.outShape.reduce((a, v) => a * v, 1));
  return { x, m, w, b, p, geo, r, s: new SparseConvStructure(c.f, m), ref: reference(c, x, w, m, b, r) };
}

const nat = sparseConvAddon();
const isas = nat
  ? ['avx512', 'avx2', 'portable'].filter((n) => {
      try {
        nat.sparseConvIsa(n);
        return true;
      } catch {
        return false;
      }
    })
  : [];
nat?.sparseConvIsa('best');

test('the native sparse conv kernels are tested when the engine is native', () => {
  if (engineStatus().engine === 'native')
    assert.ok(isas.includes('portable') && isas.length >= 2, isas.join());
});

for (const c of CASES) {
  test(`sparse conv kernels equal the masked dense conv: ${c.name}`, () => {
    const { x, w, b, p, geo, s, ref } = setup(c);
    const y = new Float32Array(ref.y.length),
      dx = new Float32Array(x.length),
      dw = new Float32Array(w.length);
    jsSparseConvFwd(y, x, w, b, p, true, s);
    close(y, ref.y, 'JS forward');
    jsSparseConvBwdData(dx, ref.g, w, p, s);
    close(dx, ref.dx, 'JS dx');
    jsSparseConvBwdWeights(dw, x, ref.g, p, s);
    close(dw, ref.dw, 'JS dW');
    for (const isa of isas) {
      nat!.sparseConvIsa(isa);
      y.fill(NaN);
      dx.fill(NaN);
      dw.fill(NaN);
      nat!.sparseConvFwd(y, x, w, b, s.outPtr, s.outIdx, null, { ...geo, relu: true });
      close(y, ref.y, `${isa} forward`);
      nat!.sparseConvBwdData(dx, ref.g, w, s.inPtr, s.inIdx, null, geo);
      close(dx, ref.dx, `${isa} dx`);
      nat!.sparseConvBwdWeights(dw, x, ref.g, s.outPtr, s.outIdx, null, null, geo);
      close(dw, ref.dw, `${isa} dW`);
      // the same from the packed layouts, made once and shared by the passes
      const [xLen, dyLen] = nat!.sparseConvPackedSizes(geo);
      const xp = new Float32Array(xLen),
        dyp = new Float32Array(dyLen);
      nat!.sparseConvPackX(xp, x, geo);
      nat!.sparseConvPackDy(dyp, ref.g, geo);
      const none = new Float32Array(0);
      nat!.sparseConvFwd(y, none, w, b, s.outPtr, s.outIdx, xp, { ...geo, relu: true });
      close(y, ref.y, `${isa} forward, packed x`);
      nat!.sparseConvBwdData(dx, none, w, s.inPtr, s.inIdx, dyp, geo);
      close(dx, ref.dx, `${isa} dx, packed dy`);
      nat!.sparseConvBwdWeights(dw, none, none, s.outPtr, s.outIdx, xp, dyp, geo);
      close(dw, ref.dw, `${isa} dW, packed x and dy`);
    }
    nat?.sparseConvIsa('best');
  });
}

test(
  'sparse conv kernels give the same bits on 1 and 2 threads',
  { skip: nat ? false : 'no native addon' },
  () => {
    const c = CASES[1]!;
    const { x, w, b, geo, s, ref } = setup(c);
    const run = (threads: number) => {
      nativeAddon()!.setThreads(threads);
      const y = new Float32Array(ref.y.length),
        dx = new Float32Array(x.length),
        dw = new Float32Array(w.length);
      nat!.sparseConvFwd(y, x, w, b, s.outPtr, s.outIdx, null, { ...geo, relu: true });
      nat!.sparseConvBwdData(dx, ref.g, w, s.inPtr, s.inIdx, null, geo);
      nat!.sparseConvBwdWeights(dw, x, ref.g, s.outPtr, s.outIdx, null, null, geo);
      return [y, dx, dw];
    };
    const one = run(1),
      two = run(2);
    nativeAddon()!.setThreads(Number(process.env.SPRIG_THREADS) || 1);
    for (let k = 0; k < 3; k++) assert.deepEqual(two[k], one[k]);
  },
);

for (const js of [false, true]) {
  test(`sparseConvLayer's gradients equal the masked dense layer's (${js ? 'JS' : 'native'} kernels)`, () => {
    const c = CASES[0]!;
    const { x, m, w, b, r } = setup(c);
    useJsSparseKernels(js);
    const plan = createConvPlan(new SparseConvStructure(c.f, m));
    try {
      const xt = tf.tensor4d(x, c.x),
        wt = tf.tensor4d(w, c.f),
        bt = tf.tensor1d(b),
        mt = tf.tensor4d(m, c.f);
      const loss = (f: (xa: tf.Tensor4D, wa: tf.Tensor4D, ba: tf.Tensor) => tf.Tensor4D) =>
        tf.grads((xa: tf.Tensor, wa: tf.Tensor, ba: tf.Tensor) =>
          tf.sum(tf.mul(f(xa as tf.Tensor4D, wa as tf.Tensor4D, ba), tf.tensor(r, [c.x[0], 7, 7, 8]))),
        )([xt, wt, bt]);
      const sparse = loss((xa, wa, ba) => sparseConvLayer(xa, wa, c.stride, c.pad, ba, 'relu', plan));
      const dense = loss((xa, wa, ba) =>
        tf.fused.conv2d({ x: xa, filter: wa, strides: c.stride, pad: c.pad, bias: ba, activation: 'relu' }),
      );
      close(sparse[0]!.dataSync() as Float32Array, dense[0]!.dataSync() as Float32Array, 'dx');
      close(sparse[1]!.dataSync() as Float32Array, tf.mul(dense[1]!, mt).dataSync() as Float32Array, 'dW');
      close(sparse[2]!.dataSync() as Float32Array, dense[2]!.dataSync() as Float32Array, 'db');
      // denseWeightGrad: dW over every connection (RigL's grow scores), the dense layer's own
      const all = createConvPlan(new SparseConvStructure(c.f, m), true);
      try {
        const g = loss((xa, wa, ba) => sparseConvLayer(xa, wa, c.stride, c.pad, ba, 'relu', all));
        close(g[1]!.dataSync() as Float32Array, dense[1]!.dataSync() as Float32Array, 'dense dW');
      } finally {
        releaseConvPlan(all);
      }
    } finally {
      releaseConvPlan(plan);
      useJsSparseKernels(false);
    }
  });
}

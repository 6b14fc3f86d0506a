/**
 * Every native kernel against the original TF.js JS kernel on random inputs (strides, padding
 * modes, odd and size-1 dimensions, batch of 1, broadcasting). Skips when the addon is not built.
 *
 * Tolerance: max |native − js| ≤ TOL · max(1, max |js|) with TOL = 1e-4 for products and
 * convolutions (native accumulates in float32, TF.js in float64, over up to ~1200 terms here),
 * 1e-5 for element-wise ops, reductions and pooling (pooling and max are exact).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineStatus, tf } from '../src/engine/index.js';
import { jsKernel, nativeAddon, nativeCounts } from '../src/engine/native.js';

// Under node's test runner the engine runs one thread (test files run side by side); these tests
// use two, so the kernels' parallel paths (large inputs) are the ones compared.
nativeAddon()?.setThreads(2);

const status = engineStatus();
const skip = status.engine === 'native' ? false : `native engine not active: ${status.reason ?? 'unknown'}`;

const TOL_MM = 1e-4;
const TOL_EW = 1e-5;

let seed = 12345;
function rand(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
}
function randn(shape: number[], scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (rand() * 2 - 1) * scale;
  return tf.tensor(v, shape);
}

type Inputs = Record<string, tf.Tensor>;
interface BE {
  data: { get(id: object): { values: Float32Array } };
  disposeData(id: object): void;
}

/** Runs the registered (native) kernel and the original JS kernel; returns both outputs' values. */
function both(
  name: string,
  inputs: Inputs,
  attrs: Record<string, unknown> = {},
  expectNative = true,
): { nat: Float32Array[]; js: Float32Array[]; shapes: number[][] } {
  const before = nativeCounts.native.get(name) ?? 0;
  const natOut = tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  const nt = Array.isArray(natOut) ? natOut : [natOut];
  const nat = nt.map((t) => (t.dataSync() as Float32Array).slice());
  const shapesN = nt.map((t) => t.shape);
  nt.forEach((t) => t.dispose());
  if (expectNative) {
    assert.equal(
      nativeCounts.native.get(name) ?? 0,
      before + 1,
      `${name} did not run natively (${nativeCounts.errors.get(name) ?? 'declined'})`,
    );
  }
  const be = tf.backend() as unknown as BE;
  const fn = jsKernel(name);
  assert.ok(fn, `no JS kernel ${name}`);
  const r = fn({ inputs, backend: tf.backend(), attrs: attrs as tf.NamedAttrMap });
  const rs = Array.isArray(r) ? r : [r];
  const js = rs.map((t) => Float32Array.from(be.data.get(t.dataId).values));
  rs.forEach((t, i) => assert.deepEqual(shapesN[i], t.shape, `${name}: output ${i} shape`));
  rs.forEach((t) => be.disposeData(t.dataId));
  return { nat, js, shapes: shapesN };
}

function close(a: Float32Array, b: Float32Array, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let maxRef = 1,
    maxDiff = 0,
    at = -1;
  for (let i = 0; i < b.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(b[i]!));
    const d = Math.abs(a[i]! - b[i]!);
    if (d > maxDiff || (Number.isNaN(d) && !(Number.isNaN(a[i]!) && Number.isNaN(b[i]!)))) {
      maxDiff = Number.isNaN(d) ? Infinity : d;
      at = i;
    }
  }
  assert.ok(
    maxDiff <= tol * maxRef,
    `${what}: max |diff| ${maxDiff} at ${at} (native ${a[at]}, js ${b[at]}) > ${tol} * ${maxRef}`,
  );
}

function check(
  name: string,
  inputs: Inputs,
  attrs: Record<string, unknown>,
  tol: number,
  what: string,
  expectNative = true,
): void {
  const { nat, js } = both(name, inputs, attrs, expectNative);
  nat.forEach((v, i) => close(v, js[i]!, tol, `${what} [out ${i}]`));
  Object.values(inputs).forEach((t) => t.dispose());
}

test('native engine registers its kernels', { skip }, () => {
  for (const k of [
    'BatchMatMul',
    '_FusedMatMul',
    'Conv2D',
    'FusedConv2D',
    'Conv2DBackpropInput',
    'Conv2DBackpropFilter',
    'MaxPool',
    'MaxPoolGrad',
    'AvgPool',
    'AvgPoolGrad',
    'FusedBatchNorm',
    'Sum',
    'Add',
    'Multiply',
    'Relu',
  ]) {
    assert.ok(status.kernels.includes(k), k);
  }
});

test('BatchMatMul: all transpose variants, batches, broadcast, odd and size-1 dims', { skip }, () => {
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 5],
    [3, 1, 4],
    [13, 17, 11],
    [60, 300, 784],
    [60, 10, 100],
    [128, 120, 256],
    [5, 64, 1],
  ];
  for (const [M, N, K] of sizes) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        for (const [bA, bB] of [
          [1, 1],
          [3, 3],
          [1, 2],
          [2, 1],
        ] as const) {
          if ((bA > 1 || bB > 1) && M * N * K > 1e5) continue;
          const aShape = ta ? [K, M] : [M, K],
            bShape = tb ? [N, K] : [K, N];
          const a = randn(bA === 1 && bB === 1 ? aShape : [bA, ...aShape]);
          const b = randn(bA === 1 && bB === 1 ? bShape : [bB, ...bShape]);
          check(
            'BatchMatMul',
            { a, b },
            { transposeA: ta, transposeB: tb },
            TOL_MM,
            `matmul ${M}x${N}x${K} ta=${ta} tb=${tb} b=${bA},${bB}`,
          );
        }
      }
    }
  }
});

test('_FusedMatMul: bias and every activation (PReLU falls back to JS)', { skip }, () => {
  for (const activation of ['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu', 'prelu']) {
    for (const [M, N, K, ta, tb] of [
      [60, 300, 784, false, false],
      [7, 3, 5, true, false],
      [1, 10, 100, false, true],
    ] as const) {
      const a = randn(ta ? [K, M] : [M, K]),
        b = randn(tb ? [N, K] : [K, N]),
        bias = randn([N]);
      const inputs: Inputs = { a, b, bias };
      if (activation === 'prelu') inputs.preluActivationWeights = randn([N]);
      check(
        '_FusedMatMul',
        inputs,
        { transposeA: ta, transposeB: tb, activation, leakyreluAlpha: 0.1 },
        TOL_MM,
        `fused ${activation} ${M}x${N}x${K}`,
        activation !== 'prelu',
      );
    }
  }
  // no bias, batch 1 as 3-D
  check(
    '_FusedMatMul',
    { a: randn([1, 4, 6]), b: randn([1, 6, 3]) },
    { transposeA: false, transposeB: false, activation: 'relu' },
    TOL_MM,
    'fused 3-D no bias',
  );
});

interface ConvCase {
  n: number;
  h: number;
  w: number;
  c: number;
  k: [number, number];
  o: number;
  s: number | [number, number];
  pad: unknown;
  d?: number;
}
const convCases: ConvCase[] = [
  { n: 2, h: 8, w: 8, c: 3, k: [3, 3], o: 4, s: 1, pad: 'same' },
  { n: 1, h: 9, w: 7, c: 5, k: [3, 3], o: 6, s: 2, pad: 'same' },
  { n: 3, h: 10, w: 10, c: 2, k: [5, 5], o: 3, s: 1, pad: 'valid' },
  { n: 2, h: 11, w: 9, c: 4, k: [3, 2], o: 5, s: [2, 3], pad: 'valid' },
  { n: 2, h: 6, w: 6, c: 8, k: [1, 1], o: 16, s: 2, pad: 'valid' },
  { n: 1, h: 1, w: 1, c: 3, k: [1, 1], o: 2, s: 1, pad: 'same' },
  { n: 2, h: 5, w: 5, c: 1, k: [3, 3], o: 1, s: 1, pad: 1 },
  {
    n: 2,
    h: 7,
    w: 6,
    c: 3,
    k: [3, 3],
    o: 4,
    s: 1,
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  { n: 4, h: 32, w: 32, c: 16, k: [3, 3], o: 32, s: 2, pad: 'same' },
  { n: 2, h: 16, w: 16, c: 64, k: [3, 3], o: 64, s: 1, pad: 'same' },
];
const cname = (c: ConvCase): string =>
  `${c.n}x${c.h}x${c.w}x${c.c} k${c.k} o${c.o} s${String(c.s)} pad ${JSON.stringify(c.pad)}${c.d ? ` d${c.d}` : ''}`;

test(
  'Conv2D and FusedConv2D forward: strides, same/valid/explicit padding, 1x1, size-1, dilation',
  { skip },
  () => {
    for (const c of [
      ...convCases,
      { n: 2, h: 9, w: 9, c: 3, k: [3, 3], o: 4, s: 1, pad: 'same', d: 2 } as ConvCase,
    ]) {
      const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', dilations: c.d ?? 1 };
      check(
        'Conv2D',
        { x: randn([c.n, c.h, c.w, c.c]), filter: randn([...c.k, c.c, c.o]) },
        attrs,
        TOL_MM,
        `conv2d ${cname(c)}`,
      );
      for (const activation of ['linear', 'relu', 'relu6', 'sigmoid', 'leakyrelu']) {
        check(
          'FusedConv2D',
          { x: randn([c.n, c.h, c.w, c.c]), filter: randn([...c.k, c.c, c.o]), bias: randn([c.o]) },
          { ...attrs, activation, leakyreluAlpha: 0.2 },
          TOL_MM,
          `fused conv2d ${activation} ${cname(c)}`,
        );
      }
    }
  },
);

test('Conv2DBackpropInput and Conv2DBackpropFilter: strides and padding modes', { skip }, () => {
  for (const c of convCases) {
    const y = tf.conv2d(
      randn([c.n, c.h, c.w, c.c]) as tf.Tensor4D,
      randn([...c.k, c.c, c.o]) as tf.Tensor4D,
      c.s as [number, number],
      c.pad as 'same',
    );
    const dyShape = y.shape;
    y.dispose();
    const base = { strides: c.s, pad: c.pad, dataFormat: 'NHWC' };
    check(
      'Conv2DBackpropInput',
      { dy: randn(dyShape), filter: randn([...c.k, c.c, c.o]) },
      { ...base, inputShape: [c.n, c.h, c.w, c.c] },
      TOL_MM,
      `backprop input ${cname(c)}`,
    );
    check(
      'Conv2DBackpropFilter',
      { x: randn([c.n, c.h, c.w, c.c]), dy: randn(dyShape) },
      { ...base, filterShape: [...c.k, c.c, c.o] },
      TOL_MM,
      `backprop filter ${cname(c)}`,
    );
  }
});

test('MaxPool, AvgPool and their gradients', { skip }, () => {
  const cases: {
    shape: number[];
    f: number | [number, number];
    s: number | [number, number];
    pad: unknown;
  }[] = [
    { shape: [2, 8, 8, 3], f: 2, s: 2, pad: 'valid' },
    { shape: [1, 7, 9, 5], f: 3, s: 2, pad: 'same' },
    { shape: [3, 6, 6, 1], f: 3, s: 1, pad: 'same' },
    { shape: [2, 5, 7, 4], f: [2, 3], s: [1, 2], pad: 'valid' },
    { shape: [1, 1, 1, 2], f: 1, s: 1, pad: 'valid' },
    { shape: [2, 9, 9, 2], f: 3, s: 3, pad: 1 },
    { shape: [8, 32, 32, 16], f: 2, s: 2, pad: 'valid' },
    { shape: [4, 16, 16, 32], f: 3, s: 2, pad: 'same' },
    // disjoint windows that leave inputs uncovered: a ragged edge, and strides longer than windows
    { shape: [2, 7, 7, 6], f: 2, s: 2, pad: 'valid' },
    { shape: [1, 8, 8, 3], f: 2, s: 3, pad: 'valid' },
  ];
  for (const c of cases) {
    const attrs = { filterSize: c.f, strides: c.s, pad: c.pad };
    const what = `${c.shape} f${String(c.f)} s${String(c.s)} ${JSON.stringify(c.pad)}`;
    // Distinct values so max positions are unique (ties resolve identically anyway: first max wins).
    check('MaxPool', { x: randn(c.shape) }, attrs, 0, `maxpool ${what}`);
    check('AvgPool', { x: randn(c.shape) }, attrs, TOL_EW, `avgpool ${what}`);
    const x = randn(c.shape);
    const y = tf.maxPool(x as tf.Tensor4D, c.f as number, c.s as number, c.pad as 'same');
    check('MaxPoolGrad', { dy: randn(y.shape), input: x, output: y }, attrs, TOL_EW, `maxpool grad ${what}`);
    const x2 = randn(c.shape);
    const y2 = tf.avgPool(x2 as tf.Tensor4D, c.f as number, c.s as number, c.pad as 'same');
    check('AvgPoolGrad', { dy: randn(y2.shape), input: x2 }, attrs, TOL_EW, `avgpool grad ${what}`);
    y2.dispose();
  }
  // ties: all-equal windows pick the first maximum in both engines
  const x = tf.ones([1, 4, 4, 2]);
  const y = tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');
  check(
    'MaxPoolGrad',
    { dy: randn(y.shape), input: x, output: y },
    { filterSize: 2, strides: 2, pad: 'valid' },
    0,
    'maxpool grad ties',
  );
  // a window of -Infinity only: no position holds a maximum above -inf
  const xi = tf.tensor4d([-Infinity, -Infinity, 1, 2, -Infinity, -Infinity, 3, 2], [1, 2, 4, 1]);
  const yi = tf.maxPool(xi, 2, 2, 'valid');
  check(
    'MaxPoolGrad',
    { dy: tf.tensor4d([5, 7], [1, 1, 2, 1]), input: xi, output: yi },
    { filterSize: 2, strides: 2, pad: 'valid' },
    0,
    'maxpool grad -inf window',
  );
});

test('binary element-wise ops with every broadcast pattern', { skip }, () => {
  const pairs: [number[], number[]][] = [
    [
      [4, 5],
      [4, 5],
    ],
    [[4, 5], []],
    [[], [4, 5]],
    [[2, 3, 4, 5], [5]],
    [[5], [2, 3, 4, 5]],
    [
      [60, 10],
      [60, 1],
    ],
    [
      [2, 3, 4],
      [2, 1, 4],
    ],
    [
      [3, 1],
      [1, 4],
    ],
    [
      [1, 1, 1, 7],
      [2, 3, 4, 7],
    ],
    [
      [128, 8, 8, 16],
      [1, 1, 1, 16],
    ],
    [[1], [1]],
    [
      [300, 1000],
      [300, 1000],
    ],
  ];
  for (const name of ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference']) {
    for (const [sa, sb] of pairs) {
      const b = name === 'RealDiv' ? tf.add(tf.abs(randn(sb)), tf.scalar(0.5)) : randn(sb);
      check(name, { a: randn(sa), b }, {}, TOL_EW, `${name} [${sa}] [${sb}]`);
    }
  }
});

test('unary element-wise ops', { skip }, () => {
  for (const name of [
    'Relu',
    'Step',
    'Neg',
    'Exp',
    'Log',
    'Sqrt',
    'Rsqrt',
    'Square',
    'Sigmoid',
    'Tanh',
    'Abs',
    'Relu6',
  ]) {
    for (const shape of [[1], [7, 3], [64, 64, 17]]) {
      const x = ['Log', 'Sqrt', 'Rsqrt'].includes(name)
        ? tf.add(tf.abs(randn(shape, 3)), tf.scalar(0.01))
        : randn(shape, 8);
      check(name, { x }, name === 'Step' ? { alpha: 0.25 } : {}, TOL_EW, `${name} [${shape}]`);
    }
  }
});

test('reductions: Sum, Mean, Max, Min over contiguous and scattered axes', { skip }, () => {
  const cases: [number[], number | number[], boolean][] = [
    [[60, 10], 1, false],
    [[60, 10], 0, true],
    [[128, 8, 8, 16], [0, 1, 2], false],
    [[128, 8, 8, 16], [1, 2], true],
    [[5, 7], [0, 1], false],
    [[3, 4, 5], [0, 2], false],
    [[1, 1], -1, false],
    [[7], 0, false],
    [[2, 300, 3], 1, false],
    // column sums of tall narrow matrices (conv bias gradients), with and without a ragged tail
    [[1000, 6], 0, false],
    [[4, 11, 11, 6], [0, 1, 2], false],
    [[3, 5], 0, true],
  ];
  for (const name of ['Sum', 'Mean', 'Max', 'Min']) {
    for (const [shape, axis, keepDims] of cases) {
      const attrs = name === 'Max' ? { reductionIndices: axis, keepDims } : { axis, keepDims };
      const scattered = Array.isArray(axis) && axis.length === 2 && axis[1]! - axis[0]! > 1;
      check(
        name,
        { x: randn(shape) },
        attrs,
        TOL_EW,
        `${name} [${shape}] axis ${String(axis)} keep ${keepDims}`,
        !scattered,
      );
    }
  }
});

test('FusedBatchNorm (inference form) and Softmax', { skip }, () => {
  for (const [shape, withParams] of [
    [[2, 4, 4, 3], true],
    [[1, 1, 1, 5], false],
    [[128, 8, 8, 16], true],
  ] as const) {
    const C = shape[shape.length - 1]!;
    const inputs: Inputs = {
      x: randn([...shape]),
      mean: randn([C]),
      variance: tf.add(tf.abs(randn([C])), tf.scalar(0.1)),
    };
    if (withParams) {
      inputs.offset = randn([C]);
      inputs.scale = randn([C]);
    }
    check('FusedBatchNorm', inputs, { varianceEpsilon: 1e-3 }, TOL_EW, `batchnorm [${shape}]`);
  }
  for (const shape of [
    [60, 10],
    [1, 1],
    [3, 4, 7],
  ])
    check('Softmax', { logits: randn(shape, 5) }, { dim: -1 }, TOL_EW, `softmax [${shape}]`);
});

test(
  'peakFlops: an FMA loop on every thread measures a positive fp32 peak',
  { skip: !nativeAddon() && 'native addon not loaded' },
  () => {
    const p = nativeAddon()!.peakFlops(30);
    assert.ok(p.gflops > 1 && p.gflops < 1e5, `peak ${p.gflops} GFLOP/s`);
    assert.ok(p.threads >= 1);
    assert.ok(p.isa === 'avx512' || p.isa === 'avx2', p.isa);
  },
);

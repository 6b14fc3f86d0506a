/**
 * Native gradients and fused ops against the JS path: the Relu and FusedBatchNorm gradient
 * overrides against TF.js's own gradient functions, batchNormTrain against tf.moments +
 * tf.batchNorm, the optimizer updates against a JS reference, and a whole network's gradients
 * against a SPRIG_NATIVE=0 process. Tolerances are stated per check (relative to max |js|, ≥ 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { engineStatus, tf } from '../src/engine/index.js';
import {
  batchNormTrain,
  convLayer,
  denseLayer,
  softmaxCrossEntropy,
  jsGradient,
  jsKernel,
  nativeAdamUpdate,
  nativeSgdUpdate,
} from '../src/engine/native.js';

const status = engineStatus();
const skip = status.engine === 'native' ? false : `native engine not active: ${status.reason ?? 'unknown'}`;

let seed = 777;
function rand(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
}
function randArr(n: number, scale = 1): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (rand() * 2 - 1) * scale;
  return v;
}
const randn = (shape: number[], scale = 1): tf.Tensor =>
  tf.tensor(
    randArr(
      shape.reduce((a, b) => a * b, 1),
      scale,
    ),
    shape,
  );

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let maxRef = 1,
    maxDiff = 0;
  for (let i = 0; i < b.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(b[i]!));
    maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
  }
  assert.ok(maxDiff <= tol * maxRef, `${what}: max |diff| ${maxDiff} > ${tol} * ${maxRef}`);
}

/** Runs `f` with the JS gradient of `kernel` in place of the native one. */
function withJsGradient<T>(kernel: string, f: () => T): T {
  const native = tf.getGradient(kernel)!;
  tf.registerGradient(jsGradient(kernel)!);
  try {
    return f();
  } finally {
    tf.registerGradient(native);
  }
}

test('Relu gradient (native) equals mul(dy, step(x)) — exactly', { skip }, () => {
  const v = randArr(8 * 33, 3);
  [0, -0, 1e-30, -1e-30, 5, -5, 0].forEach((s, i) => (v[7 * 33 + i] = s));
  const x2 = tf.tensor(v, [8, 33]);
  const f = (t: tf.Tensor): tf.Tensor => tf.sum(tf.mul(tf.relu(t), tf.reshape(tf.range(0, t.size), t.shape)));
  const gNative = tf.grad(f)(x2).dataSync();
  const gJs = withJsGradient('Relu', () => tf.grad(f)(x2).dataSync());
  close(gNative, gJs, 0, 'relu grad');
});

test(
  'FusedBatchNorm gradient (native) equals the JS gradient for x, mean, variance, scale, offset (tol 1e-4)',
  { skip },
  () => {
    for (const shape of [
      [2, 3, 3, 4],
      [1, 1, 1, 3],
      [16, 8, 8, 16],
    ]) {
      const C = shape[3]!;
      const x = randn(shape),
        mean = randn([C], 0.5),
        variance = tf.add(tf.abs(randn([C])), tf.scalar(0.2));
      const offset = randn([C]),
        scale = randn([C]);
      const w = randn(shape);
      const f = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor): tf.Tensor =>
        tf.sum(tf.mul(tf.batchNorm(a, m, v, o, s, 1e-3), w));
      const gN = tf
        .grads(f)([x, mean, variance, offset, scale])
        .map((t) => t.dataSync());
      const gJ = withJsGradient('FusedBatchNorm', () =>
        tf
          .grads(f)([x, mean, variance, offset, scale])
          .map((t) => t.dataSync()),
      );
      gN.forEach((g, i) => close(g, gJ[i]!, 1e-4, `batchnorm grad ${i} [${shape}]`));
    }
  },
);

test('batchNormTrain equals tf.moments + tf.batchNorm, forward and gradient (tol 1e-4)', () => {
  for (const shape of [
    [4, 5, 5, 3],
    [128, 4, 4, 16],
    [1, 2, 2, 1],
    [60, 10],
  ]) {
    const C = shape[shape.length - 1]!;
    const axes = shape.slice(0, -1).map((_, i) => i);
    const x = randn(shape, 2),
      gamma = randn([C]),
      beta = randn([C]),
      w = randn(shape);
    let stats: [Float32Array, Float32Array, number] | undefined;
    const fused = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor =>
      batchNormTrain(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, (m, v, n) => (stats = [m, v, n]));
    const ref = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => {
      const { mean, variance } = tf.moments(a, axes);
      return tf.batchNorm(a, mean, variance, b, g, 1e-5);
    };
    close(fused(x, gamma, beta).dataSync(), ref(x, gamma, beta).dataSync(), 1e-4, `bn forward [${shape}]`);
    const { mean, variance } = tf.moments(x, axes);
    close(stats![0], mean.dataSync(), 1e-5, 'bn mean');
    close(stats![1], variance.dataSync(), 1e-4, 'bn variance');
    assert.equal(stats![2], x.size / C);
    const loss =
      (f: typeof fused) =>
      (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor =>
        tf.sum(tf.mul(f(a, g, b), w));
    const gF = tf
      .grads(loss(fused))([x, gamma, beta])
      .map((t) => t.dataSync());
    const gR = tf
      .grads(loss(ref))([x, gamma, beta])
      .map((t) => t.dataSync());
    gF.forEach((g, i) => close(g, gR[i]!, 1e-4, `bn grad ${['x', 'gamma', 'beta'][i]} [${shape}]`));
  }
});

test('batchNormTrain fused with + residual and ReLU equals tf.relu(tf.add(bn, r)), forward and gradient (tol 1e-4)', () => {
  for (const shape of [
    [4, 5, 5, 3],
    [128, 4, 4, 16],
    [1, 1, 1, 1],
  ]) {
    const C = shape[shape.length - 1]!;
    const axes = shape.slice(0, -1).map((_, i) => i);
    const x = randn(shape, 2),
      gamma = randn([C]),
      beta = randn([C]),
      res = randn(shape),
      w = randn(shape);
    for (const [withRes, relu] of [
      [true, true],
      [false, true],
      [true, false],
    ] as const) {
      const ref = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, r: tf.Tensor): tf.Tensor => {
        const { mean, variance } = tf.moments(a, axes);
        let y = tf.batchNorm(a, mean, variance, b, g, 1e-5);
        if (withRes) y = tf.add(y, r);
        return relu ? tf.relu(y) : y;
      };
      const fused = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, r: tf.Tensor): tf.Tensor =>
        batchNormTrain(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, undefined, {
          residual: withRes ? r : undefined,
          relu,
        });
      const tag = `[${shape}] residual=${withRes} relu=${relu}`;
      close(
        fused(x, gamma, beta, res).dataSync(),
        ref(x, gamma, beta, res).dataSync(),
        1e-4,
        `fused bn forward ${tag}`,
      );
      const loss =
        (f: typeof fused) =>
        (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, r: tf.Tensor): tf.Tensor =>
          // + 0·Σr: tf.grads needs every input on the path, also when no residual is fused.
          tf.add(tf.sum(tf.mul(f(a, g, b, r), w)), tf.mul(tf.sum(r), 0));
      const gF = tf
        .grads(loss(fused))([x, gamma, beta, res])
        .map((t) => t.dataSync());
      const gR = tf
        .grads(loss(ref))([x, gamma, beta, res])
        .map((t) => t.dataSync());
      gF.forEach((g, i) =>
        close(g, gR[i]!, 1e-4, `fused bn grad ${['x', 'gamma', 'beta', 'residual'][i]} ${tag}`),
      );
    }
  }
});

test('denseLayer and convLayer equal tf.fused.matMul / tf.fused.conv2d, values and gradients (tol 1e-4)', () => {
  for (const activation of ['relu', 'linear'] as const) {
    for (const [M, K, N, withBias] of [
      [60, 784, 300, true],
      [1, 5, 3, true],
      [7, 1, 1, false],
    ] as const) {
      const x = randn([M, K]),
        w = randn([K, N]),
        b = withBias ? randn([N]) : undefined,
        r = randn([M, N]);
      const mine = (a: tf.Tensor, ww: tf.Tensor, bb?: tf.Tensor) =>
        tf.sum(tf.mul(denseLayer(a as tf.Tensor2D, ww as tf.Tensor2D, bb, activation), r));
      const ref = (a: tf.Tensor, ww: tf.Tensor, bb?: tf.Tensor) =>
        tf.sum(
          tf.mul(tf.fused.matMul({ a: a as tf.Tensor2D, b: ww as tf.Tensor2D, bias: bb, activation }), r),
        );
      const args = b ? [x, w, b] : [x, w];
      const gm = tf.valueAndGrads(mine as (...t: tf.Tensor[]) => tf.Tensor)(args);
      const gr = tf.valueAndGrads(ref as (...t: tf.Tensor[]) => tf.Tensor)(args);
      close(gm.value.dataSync(), gr.value.dataSync(), 1e-4, `dense ${activation} value`);
      gm.grads.forEach((g, i) =>
        close(g.dataSync(), gr.grads[i]!.dataSync(), 1e-4, `dense ${activation} ${M}x${K}x${N} grad ${i}`),
      );
    }
    for (const [shape, k, cout, stride, pad, withBias] of [
      [[2, 9, 9, 3], 3, 4, 1, 'same', true],
      [[1, 8, 7, 2], 3, 5, 2, 'valid', true],
      [[3, 6, 6, 4], 1, 2, 2, 'same', false],
    ] as const) {
      const x = randn([...shape]),
        w = randn([k, k, shape[3], cout]),
        b = withBias ? randn([cout]) : undefined;
      const out = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad);
      const r = randn(out.shape);
      const mine = (a: tf.Tensor, ww: tf.Tensor, bb?: tf.Tensor) =>
        tf.sum(tf.mul(convLayer(a as tf.Tensor4D, ww as tf.Tensor4D, stride, pad, bb, activation), r));
      const ref = (a: tf.Tensor, ww: tf.Tensor, bb?: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.fused.conv2d({
              x: a as tf.Tensor4D,
              filter: ww as tf.Tensor4D,
              strides: stride,
              pad,
              bias: bb,
              activation,
            }),
            r,
          ),
        );
      const args = b ? [x, w, b] : [x, w];
      const gm = tf.valueAndGrads(mine as (...t: tf.Tensor[]) => tf.Tensor)(args);
      const gr = tf.valueAndGrads(ref as (...t: tf.Tensor[]) => tf.Tensor)(args);
      close(gm.value.dataSync(), gr.value.dataSync(), 1e-4, `conv ${activation} value`);
      gm.grads.forEach((g, i) =>
        close(g.dataSync(), gr.grads[i]!.dataSync(), 1e-4, `conv ${activation} [${shape}] grad ${i}`),
      );
    }
  }
});

test('softmaxCrossEntropy equals −mean(sum(t ⊙ logSoftmax(z))), value and gradients (tol 1e-5)', () => {
  for (const [B, K] of [
    [60, 10],
    [1, 3],
    [7, 100],
  ]) {
    const z = randn([B, K], 6);
    const t = tf.div(tf.abs(randn([B, K])), tf.scalar(K)); // soft targets (label smoothing, KD)
    const ref = (a: tf.Tensor, b: tf.Tensor) => tf.neg(tf.mean(tf.sum(tf.mul(b, tf.logSoftmax(a)), 1)));
    const mine = (a: tf.Tensor, b: tf.Tensor) => softmaxCrossEntropy(a as tf.Tensor2D, b as tf.Tensor2D);
    const gm = tf.valueAndGrads(mine)([z, t]),
      gr = tf.valueAndGrads(ref)([z, t]);
    close(gm.value.dataSync(), gr.value.dataSync(), 1e-5, `ce value ${B}x${K}`);
    gm.grads.forEach((g, i) => close(g.dataSync(), gr.grads[i]!.dataSync(), 1e-5, `ce grad ${i} ${B}x${K}`));
  }
});

test('batchNormTrain kernels: native equals the JS kernels (tol 1e-5)', { skip }, () => {
  const be = tf.backend() as unknown as { data: { get(id: object): { values: Float32Array } } };
  for (const shape of [
    [8, 3, 3, 5],
    [1, 1, 1, 1],
  ]) {
    const C = shape[3]!;
    const x = randn(shape),
      gamma = randn([C]),
      beta = randn([C]),
      dy = randn(shape);
    const nat = tf
      .engine()
      .runKernel('SprigBatchNormTrain', { x, gamma, beta }, { eps: 1e-5 }) as tf.Tensor[];
    const js = jsKernel('SprigBatchNormTrain')!({
      inputs: { x, gamma, beta },
      backend: tf.backend(),
      attrs: { eps: 1e-5 },
    }) as tf.TensorInfo[];
    nat.forEach((t, i) => close(t.dataSync(), be.data.get(js[i]!.dataId).values, 1e-5, `bn train out ${i}`));
    const inputs = { dy, x, gamma, mean: nat[1]!, variance: nat[2]! };
    const natG = tf.engine().runKernel('SprigBatchNormTrainGrad', inputs, { eps: 1e-5 }) as tf.Tensor[];
    const jsG = jsKernel('SprigBatchNormTrainGrad')!({
      inputs,
      backend: tf.backend(),
      attrs: { eps: 1e-5 },
    }) as tf.TensorInfo[];
    natG.forEach((t, i) =>
      close(t.dataSync(), be.data.get(jsG[i]!.dataId).values, 1e-5, `bn train grad ${i}`),
    );
    // Fused + residual and ReLU: forward, and the gradient with the ReLU mask and residual output.
    const residual = randn(shape);
    const fIn = { x, gamma, beta, residual },
      fAttrs = { eps: 1e-5, relu: true };
    const natF = tf.engine().runKernel('SprigBatchNormTrain', fIn, fAttrs) as tf.Tensor[];
    const jsF = jsKernel('SprigBatchNormTrain')!({
      inputs: fIn,
      backend: tf.backend(),
      attrs: fAttrs,
    }) as tf.TensorInfo[];
    natF.forEach((t, i) =>
      close(t.dataSync(), be.data.get(jsF[i]!.dataId).values, 1e-5, `fused bn train out ${i}`),
    );
    for (const withRes of [true, false]) {
      const gIn = { dy, x, gamma, mean: natF[1]!, variance: natF[2]!, y: natF[0]! },
        gAttrs = { eps: 1e-5, residual: withRes };
      const natFG = tf.engine().runKernel('SprigBatchNormTrainGrad', gIn, gAttrs) as tf.Tensor[];
      const jsFG = jsKernel('SprigBatchNormTrainGrad')!({
        inputs: gIn,
        backend: tf.backend(),
        attrs: gAttrs,
      }) as tf.TensorInfo[];
      assert.equal(natFG.length, withRes ? 4 : 3);
      assert.equal(jsFG.length, natFG.length);
      natFG.forEach((t, i) =>
        close(
          t.dataSync(),
          be.data.get(jsFG[i]!.dataId).values,
          1e-5,
          `fused bn train grad ${i} res=${withRes}`,
        ),
      );
    }
  }
});

test('nativeSgdUpdate and nativeAdamUpdate equal a JS reference (tol 1e-6)', { skip }, () => {
  const n = 100003;
  for (const [momentum, nesterov, wd, masked] of [
    [0, false, 0, false],
    [0.9, false, 5e-4, true],
    [0.9, true, 1e-4, false],
  ] as const) {
    const w = randArr(n),
      g = randArr(n),
      m = randArr(n, 0.1);
    const mask = masked ? Float32Array.from(randArr(n), (v) => (v > 0 ? 1 : 0)) : null;
    const w2 = w.slice(),
      m2 = m.slice();
    assert.ok(
      nativeSgdUpdate(w, g, momentum ? m : null, mask, { lr: 0.1, momentum, weightDecay: wd, nesterov }),
    );
    for (let i = 0; i < n; i++) {
      let d = g[i]! + wd * w2[i]!;
      if (momentum) {
        m2[i] = momentum * m2[i]! + d;
        d = nesterov ? d + momentum * m2[i]! : m2[i]!;
      }
      w2[i] = (w2[i]! - 0.1 * d) * (mask ? mask[i]! : 1);
    }
    close(w, w2, 1e-6, `sgd momentum=${momentum} nesterov=${nesterov}`);
    if (momentum) close(m, m2, 1e-6, 'sgd momentum buffer');
  }
  for (const decoupled of [false, true]) {
    const w = randArr(n),
      g = randArr(n),
      m = randArr(n, 0.1),
      v = Float32Array.from(randArr(n, 0.1), Math.abs);
    const w2 = w.slice(),
      m2 = m.slice(),
      v2 = v.slice();
    const [lr, b1, b2, eps, wd, t] = [1e-3, 0.9, 0.999, 1e-8, 1e-2, 7];
    const opts = { lr, beta1: b1, beta2: b2, eps, weightDecay: wd, step: t, decoupled };
    assert.ok(nativeAdamUpdate(w, g, m, v, null, opts));
    for (let i = 0; i < n; i++) {
      let gi = g[i]!;
      if (decoupled) w2[i] = w2[i]! - lr * wd * w2[i]!;
      else gi += wd * w2[i]!;
      m2[i] = b1 * m2[i]! + (1 - b1) * gi;
      v2[i] = b2 * v2[i]! + (1 - b2) * gi * gi;
      const mh = m2[i]! / (1 - b1 ** t),
        vh = v2[i]! / (1 - b2 ** t);
      w2[i] = w2[i]! - (lr * mh) / (Math.sqrt(vh) + eps);
    }
    close(w, w2, 1e-6, `adam decoupled=${decoupled}`);
  }
});

// A small conv net's loss gradients, printed as JSON: run here (native) and in a SPRIG_NATIVE=0 child.
const NET_SCRIPT = `
import { tf, engineStatus } from './src/engine/index.js';
let s = 99; const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
const t = (shape) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, r), shape);
const x = t([3, 12, 12, 2]), w1 = t([3, 3, 2, 4]), b1 = t([4]), w2 = t([3, 3, 4, 6]), fw = t([54, 5]), fb = t([5]);
const labels = tf.oneHot(tf.tensor1d([0, 3, 4], 'int32'), 5);
const f = (w1, b1, w2, fw, fb) => {
  let h = tf.fused.conv2d({ x, filter: w1, strides: 1, pad: 'same', bias: b1, activation: 'relu' });
  h = tf.maxPool(h, 2, 2, 'valid');
  h = tf.relu(tf.conv2d(h, w2, 2, 'same'));
  h = tf.avgPool(h, 1, 1, 'valid');
  const logits = tf.fused.matMul({ a: tf.reshape(h, [3, 54]), b: fw, bias: fb });
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1)));
};
const { value, grads } = tf.valueAndGrads(f)([w1, b1, w2, fw, fb]);
console.log(JSON.stringify({ engine: engineStatus().engine, loss: value.dataSync()[0], grads: grads.map((g) => Array.from(g.dataSync())) }));
`;

test("a conv net's gradients equal those of the pure-JS engine (SPRIG_NATIVE=0) (tol 1e-4)", { skip }, () => {
  const run = (env: Record<string, string>) => {
    const p = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', NET_SCRIPT], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      cwd: process.cwd(),
    });
    assert.equal(p.status, 0, p.stderr);
    return JSON.parse(p.stdout.trim().split('\n').pop()!) as {
      engine: string;
      loss: number;
      grads: number[][];
    };
  };
  const nat = run({}),
    js = run({ SPRIG_NATIVE: '0' });
  assert.equal(nat.engine, 'native');
  assert.equal(js.engine, 'js');
  assert.ok(
    Math.abs(nat.loss - js.loss) <= 1e-5 * Math.max(1, Math.abs(js.loss)),
    `loss ${nat.loss} vs ${js.loss}`,
  );
  nat.grads.forEach((g, i) => close(g, js.grads[i]!, 1e-4, `grad ${i}`));
});

test('SPRIG_NATIVE=0 turns the engine off quietly, and says why', () => {
  const p = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "import { engineStatus } from './src/engine/index.js'; console.log(JSON.stringify(engineStatus()));",
    ],
    { env: { ...process.env, SPRIG_NATIVE: '0' }, encoding: 'utf8', cwd: process.cwd() },
  );
  assert.equal(p.status, 0, p.stderr);
  const st = JSON.parse(p.stdout.trim()) as { engine: string; reason: string; kernels: string[] };
  assert.equal(st.engine, 'js');
  assert.match(st.reason, /SPRIG_NATIVE=0/);
  assert.deepEqual(st.kernels, []);
});

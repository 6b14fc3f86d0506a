/**
 * Batch normalisation with batch statistics as ONE differentiable op (forward: statistics and
 * normalisation in two passes; backward: dx, dγ, dβ in two passes), instead of tf.moments +
 * tf.batchNorm, whose autodiff costs ~20 full-size element-wise passes per layer. Works on any
 * rank (channels last); the kernels have a JS implementation (here, registered by register.ts),
 * replaced by the native one (native/batchnorm.ts) when the addon loads. Numerically it is the same function as moments + batchNorm (biased variance).
 * Optionally fused with what follows it in ResNets: `+ residual` and/or ReLU, in the same output
 * pass (backward: dy masked by the ReLU once, and handed to the residual as its gradient).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CpuBackend, KernelArgs } from './cpu-backend.js';
import { SPRIG_KERNELS } from './names.js';

const BN_TRAIN = SPRIG_KERNELS.batchNormTrain;
const BN_TRAIN_GRAD = SPRIG_KERNELS.batchNormTrainGrad;

function vals(be: CpuBackend, t: tf.TensorInfo | undefined): Float32Array | null {
  if (!t) return null;
  const v = be.data.get(t.dataId).values;
  if (v instanceof Float32Array) return v;
  return Float32Array.from(v as ArrayLike<number>);
}

/** JS reference kernels (also what the tests compare the native ones against). */
export function bnTrainJs(args: KernelArgs): tf.TensorInfo[] {
  const be = args.backend as CpuBackend;
  const x = args.inputs.x!;
  const X = vals(be, x)!,
    G = vals(be, args.inputs.gamma),
    B = vals(be, args.inputs.beta),
    R = vals(be, args.inputs.residual);
  const relu = Boolean(args.attrs?.relu);
  const eps = Number(args.attrs?.eps ?? 1e-5);
  const C = x.shape[x.shape.length - 1]!,
    rows = X.length / C;
  const mean = new Float64Array(C),
    v = new Float64Array(C);
  for (let i = 0; i < X.length; i++) mean[i % C]! += X[i]!;
  for (let c = 0; c < C; c++) mean[c]! /= rows;
  for (let i = 0; i < X.length; i++) {
    const d = X[i]! - mean[i % C]!;
    v[i % C]! += d * d;
  }
  const m32 = new Float32Array(C),
    v32 = new Float32Array(C),
    y = new Float32Array(X.length);
  for (let c = 0; c < C; c++) {
    m32[c] = mean[c]!;
    v32[c] = v[c]! / rows;
  }
  for (let i = 0; i < X.length; i++) {
    const c = i % C;
    y[i] = ((X[i]! - m32[c]!) / Math.sqrt(v32[c]! + eps)) * (G ? G[c]! : 1) + (B ? B[c]! : 0);
    // Rounded to float32 between steps, as the separate add and relu kernels would.
    if (R) y[i] = y[i]! + R[i]!;
    if (relu && y[i]! < 0) y[i] = 0;
  }
  return [
    be.makeTensorInfo(x.shape, 'float32', y),
    be.makeTensorInfo([C], 'float32', m32),
    be.makeTensorInfo([C], 'float32', v32),
  ];
}

export function bnTrainGradJs(args: KernelArgs): tf.TensorInfo[] {
  const be = args.backend as CpuBackend;
  const x = args.inputs.x!;
  const X = vals(be, x)!,
    G = vals(be, args.inputs.gamma);
  let DY = vals(be, args.inputs.dy)!;
  const M = vals(be, args.inputs.mean)!,
    V = vals(be, args.inputs.variance)!;
  const eps = Number(args.attrs?.eps ?? 1e-5);
  const C = x.shape[x.shape.length - 1]!,
    rows = X.length / C;
  // A fused ReLU's gradient first, as TF.js's: dy·step(y) (NaN where y is NaN).
  const Y = vals(be, args.inputs.y);
  if (Y) {
    const g = new Float32Array(X.length);
    for (let i = 0; i < X.length; i++) g[i] = DY[i]! * (Number.isNaN(Y[i]!) ? Y[i]! : Y[i]! > 0 ? 1 : 0);
    DY = g;
  }
  const s1 = new Float64Array(C),
    s2 = new Float64Array(C);
  for (let i = 0; i < X.length; i++) {
    const c = i % C;
    s1[c]! += DY[i]!;
    s2[c]! += DY[i]! * (X[i]! - M[c]!);
  }
  const dx = new Float32Array(X.length),
    dg = new Float32Array(C),
    db = new Float32Array(C);
  const k0 = new Float64Array(C),
    k1 = new Float64Array(C),
    k2 = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(V[c]! + eps),
      g = G ? G[c]! : 1;
    db[c] = s1[c]!;
    dg[c] = s2[c]! * inv;
    k0[c] = g * inv;
    k1[c] = ((g * inv) / rows) * s1[c]!;
    k2[c] = ((g * inv * inv * inv) / rows) * s2[c]!;
  }
  for (let i = 0; i < X.length; i++) {
    const c = i % C;
    dx[i] = k0[c]! * DY[i]! - k1[c]! - k2[c]! * (X[i]! - M[c]!);
  }
  const outs = [
    be.makeTensorInfo(x.shape, 'float32', dx),
    be.makeTensorInfo([C], 'float32', dg),
    be.makeTensorInfo([C], 'float32', db),
  ];
  if (args.attrs?.residual) outs.push(be.makeTensorInfo(x.shape, 'float32', Y ? DY : Float32Array.from(DY)));
  return outs;
}

/** What follows the normalisation in the same kernel: y = relu?(bn(x) + residual?). */
export interface BatchNormFusion {
  /** Added to the normalised output (same shape as x): ResNet's shortcut. */
  residual?: tf.Tensor;
  relu?: boolean;
}

/**
 * Training-mode batch norm over every axis but the last: y = (x − μ_B)/√(σ²_B + ε)·γ + β, then
 * `+ residual` and ReLU if asked (the same function as tf.relu(tf.add(bn, residual))).
 * `onStats` receives the batch mean and biased variance (copies, length C) and the count they were
 * computed over, for updating running statistics (PyTorch uses the unbiased variance there:
 * σ²·n/(n−1)).
 */
export function batchNormTrain<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps = 1e-5,
  onStats?: (mean: Float32Array, variance: Float32Array, count: number) => void,
  fuse: BatchNormFusion = {},
): T {
  const relu = fuse.relu ?? false;
  const res = fuse.residual;
  if (
    res &&
    (res.dtype !== 'float32' ||
      res.shape.length !== x.shape.length ||
      res.shape.some((d, i) => d !== x.shape[i]))
  ) {
    throw new Error(`batchNormTrain: residual of shape [${res.shape}] does not match x [${x.shape}]`);
  }
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, g, b] = args as tf.Tensor[];
    const r = res ? (args[3] as tf.Tensor) : undefined;
    const save = args[res ? 4 : 3] as tf.GradSaveFunc;
    const inputs: Record<string, tf.Tensor> = { x: xi!, gamma: g!, beta: b! };
    if (r) inputs.residual = r;
    const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN, inputs, { eps, relu }) as tf.Tensor[];
    save(relu ? [xi!, g!, mean!, variance!, y!] : [xi!, g!, mean!, variance!]);
    if (onStats) {
      const C = xi!.shape[xi!.shape.length - 1]!;
      onStats(
        (mean!.dataSync() as Float32Array).slice(),
        (variance!.dataSync() as Float32Array).slice(),
        xi!.size / C,
      );
    }
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, sm, sv, sy] = saved;
        const gin: Record<string, tf.Tensor> = { dy, x: sx!, gamma: sg!, mean: sm!, variance: sv! };
        if (sy) gin.y = sy;
        return tf.engine().runKernel(BN_TRAIN_GRAD, gin, { eps, residual: Boolean(r) }) as tf.Tensor[];
      },
    };
  });
  return (res ? f(x, gamma, beta, res) : f(x, gamma, beta)) as T;
}

/**
 * Every gradient sprig registers, in one table: the gradients of sprig's own kernels, and the TF.js
 * gradients it replaces with native kernels (TF.js builds those from many full-size ops). One
 * exception lives with its op: SprigBatchNormTrain's gradient is attached by tf.customGrad in
 * batchnorm.ts, because its statistics outputs take no gradient and its `onStats` hook needs the
 * forward pass; it runs the SprigBatchNormTrainGrad kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { convGeometry, convInfo } from './geometry.js';
import { softmaxCrossEntropyGrad } from './loss.js';
import { SPRIG_KERNELS } from './names.js';
import { alloc, valuesOf } from '../pool.js';
import { sparseDenseGradient } from './sparse.js';
import { sparseConvGradient } from './sparse-conv.js';

/** A gradient of the table: a JS one (registered always), or a native one (only with the addon). */
export type GradientEntry =
  | { kernelName: string; engine: 'js'; make: () => tf.GradConfig }
  | {
      kernelName: string;
      engine: 'native';
      /** `js`: TF.js's own gradient, for an entry that replaces it (undefined: nothing to replace). */
      make: (nat: NativeAddon, js: tf.GradConfig | undefined) => tf.GradConfig | undefined;
    };

// Saved tensors' values, read in place (dataSync() would keep their buffers out of the pool).
const f32 = (t: tf.Tensor): Float32Array => valuesOf(t, tf.backend());
const isF32 = (...ts: (tf.Tensor | undefined)[]): boolean => ts.every((t) => !t || t.dtype === 'float32');

/**
 * dy masked by the ReLU (y > 0), shared by dx, dW and db. It is wrapped in a tensor made in the
 * gradient function's own scope, TF.js's backward pass, which disposes it when backprop ends: so
 * the array returns to the pool (a raw array would be left to the GC, 16 MB per Conv-4 layer).
 */
function masked(nat: NativeAddon, dy: tf.Tensor, y: tf.Tensor | undefined, relu: boolean): Float32Array {
  if (!relu) return f32(dy);
  const g = alloc(dy.size);
  nat.reluGrad(g, f32(dy), f32(y!));
  tf.tensor(g, dy.shape);
  return g;
}

/** SprigDense: dx = g·Wᵀ, dW = xᵀ·g, db = Σ_rows g, with g the ReLU-masked dy; each computed lazily. */
function denseGradient(nat: NativeAddon): tf.GradConfig {
  return {
    kernelName: SPRIG_KERNELS.dense,
    inputsToSave: ['x', 'w'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, w, y] = saved as tf.Tensor[];
      const d = dy as tf.Tensor;
      const m = x!.shape[0]!,
        k = x!.shape[1]!,
        n = w!.shape[1]!;
      const g = masked(nat, d, y, attrs.activation === 'relu');
      const product = (
        a: Float32Array,
        b: Float32Array,
        o: { m: number; n: number; k: number },
        ta: boolean,
      ) => {
        const c = alloc(o.m * o.n);
        nat.matmul(c, a, b, null, { ...o, transA: ta, transB: !ta });
        return tf.tensor(c, [o.m, o.n]);
      };
      return {
        x: () => product(g, f32(w!), { m, n: k, k: n }, false),
        w: () => product(f32(x!), g, { m: k, n, k: m }, true),
        bias: () => {
          const o = new Float32Array(n);
          nat.reduce(o, g, { op: 0, outer: 1, r: m, inner: n });
          return tf.tensor(o, [n]);
        },
      };
    },
  };
}

/** SprigConv2D: dx and dW by oneDNN's backward convolutions, db = Σ g over all but channels. */
function convGradient(nat: NativeAddon): tf.GradConfig {
  return {
    kernelName: SPRIG_KERNELS.conv2D,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, w, y] = saved as tf.Tensor[];
      const d = dy as tf.Tensor;
      const ci = convInfo(x!.shape, w!.shape, attrs as unknown as Record<string, unknown>);
      const geometry = convGeometry(ci);
      const g = masked(nat, d, y, attrs.activation === 'relu');
      return {
        x: () => {
          const o = alloc(x!.size);
          nat.convBwdData(o, g, f32(w!), geometry);
          return tf.tensor(o, x!.shape);
        },
        filter: () => {
          const o = alloc(w!.size);
          nat.convBwdWeights(o, f32(x!), g, geometry);
          return tf.tensor(o, w!.shape);
        },
        bias: () => {
          const C = ci.outChannels,
            o = new Float32Array(C);
          nat.reduce(o, g, { op: 0, outer: 1, r: d.size / C, inner: C });
          return tf.tensor(o, [C]);
        },
      };
    },
  };
}

/** Relu: dy·step(x) in one native pass (TF.js: mul(dy, step(x))), the same values. */
function reluGradient(js: tf.GradConfig): tf.GradConfig {
  return {
    ...js,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      const d = dy as tf.Tensor;
      if (!x || !isF32(x, d) || x.size !== d.size) return js.gradFunc(dy, saved, attrs);
      return { x: () => tf.engine().runKernel(SPRIG_KERNELS.reluGrad, { dy: d, x }) as tf.Tensor };
    },
  };
}

/** Whether the native FusedBatchNorm gradient covers these saved tensors (NHWC, per-channel stats). */
function fbnCovered(d: tf.Tensor, saved: tf.Tensor[]): boolean {
  const [x, mean, variance, scale] = saved;
  if (!x || !mean || !variance || !isF32(x, d, mean, variance, scale)) return false;
  const C = x.shape[x.rank - 1]!;
  return (
    x.rank === 4 &&
    mean.rank === 1 &&
    mean.size === C &&
    variance.size === C &&
    (!scale || scale.size === C) &&
    d.size === x.size
  );
}

/**
 * FusedBatchNorm: TF.js's gradient tiles 1/σ to the whole input; here the per-channel sums take one
 * native pass over x and dy, and dx = dy·γ/√(σ²+ε) is batch norm of dy (mean 0).
 */
function fusedBatchNormGradient(js: tf.GradConfig): tf.GradConfig {
  return {
    ...js,
    gradFunc: (dy, saved, attrs) => {
      const d = dy as tf.Tensor;
      if (!fbnCovered(d, saved as tf.Tensor[])) return js.gradFunc(dy, saved, attrs);
      const [x, mean, variance, scale] = saved as tf.Tensor[];
      const inputs: tf.NamedTensorMap = scale
        ? { mean: mean!, variance: variance!, scale }
        : { mean: mean!, variance: variance! };
      const kernelAttrs = attrs as unknown as tf.NamedAttrMap;
      // Each gradient thunk runs in its own tidy, so the sums are kept as values and rebuilt as
      // small tensors.
      let sums: Float32Array[] | undefined;
      const sum = (i: number) => (): tf.Tensor => {
        if (!sums) {
          const r = tf
            .engine()
            .runKernel(
              SPRIG_KERNELS.fusedBatchNormGrad,
              { dy: d, x: x!, ...inputs },
              kernelAttrs,
            ) as tf.Tensor[];
          sums = r.map((t) => (t.dataSync() as Float32Array).slice());
          r.forEach((t) => t.dispose());
        }
        return tf.tensor(sums[i]!, mean!.shape, 'float32');
      };
      const dx = (): tf.Tensor =>
        tf
          .engine()
          .runKernel(
            tf.FusedBatchNorm,
            { x: d, ...inputs, mean: tf.zeros(mean!.shape) },
            kernelAttrs,
          ) as tf.Tensor;
      return { x: dx, mean: sum(0), variance: sum(1), scale: sum(2), offset: sum(3) };
    },
  };
}

/** The table. Registration (register.ts) runs it in this order. */
export const GRADIENTS: GradientEntry[] = [
  {
    kernelName: SPRIG_KERNELS.softmaxCrossEntropy,
    engine: 'js',
    make: () => ({
      kernelName: SPRIG_KERNELS.softmaxCrossEntropy,
      inputsToSave: ['logits', 'targets'],
      gradFunc: softmaxCrossEntropyGrad,
    }),
  },
  { kernelName: SPRIG_KERNELS.sparseDense, engine: 'js', make: sparseDenseGradient },
  { kernelName: SPRIG_KERNELS.sparseConv2D, engine: 'js', make: sparseConvGradient },
  {
    kernelName: tf.Relu,
    engine: 'native',
    make: (_nat, js) => js && reluGradient(js),
  },
  {
    kernelName: tf.FusedBatchNorm,
    engine: 'native',
    make: (_nat, js) => js && fusedBatchNormGradient(js),
  },
  { kernelName: SPRIG_KERNELS.dense, engine: 'native', make: (nat) => denseGradient(nat) },
  { kernelName: SPRIG_KERNELS.conv2D, engine: 'native', make: (nat) => convGradient(nat) },
];

/**
 * Whole layers as single differentiable ops: dense and 2-D convolution with bias and ReLU, each one
 * native kernel forward and one native pass per needed gradient (dx, dW, db, computed lazily so a
 * first layer never computes dx). TF.js itself unfuses bias and activation whenever gradients are
 * recorded (matMul + add + relu, then ~10 kernels backward), which costs engine overhead per op
 * that dominates small networks. Without the native engine these fall back to tf.fused.* (same
 * function, same numerics within float tolerance).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { alloc, valuesOf } from '../pool.js';
import { convParams } from './register.js';
import type { CpuBackend, KernelArgs } from './cpu-backend.js';

export type LayerActivation = 'relu' | 'linear';
const DENSE = 'SprigDense';
const CONV = 'SprigConv2D';

let nat: NativeAddon | undefined;

// Saved tensors' values, read in place (dataSync() would keep their buffers out of the pool).
const f32 = (t: tf.Tensor): Float32Array => valuesOf(t, tf.backend());

function convInfo(
  x: readonly number[],
  filter: readonly number[],
  attrs: Record<string, unknown>,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    x as [number, number, number, number],
    filter as [number, number, number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as 'same',
    undefined,
    false,
    'channelsLast',
  );
}

/**
 * dy masked by the ReLU (y > 0), shared by dx, dW and db. It is wrapped in a tensor made in the
 * gradient function's own scope, TF.js's backward pass, which disposes it when backprop ends: so
 * the array returns to the pool (a raw array would be left to the GC, 16 MB per Conv-4 layer).
 */
function masked(dy: tf.Tensor, y: tf.Tensor | undefined, relu: boolean): Float32Array {
  if (!relu) return f32(dy);
  const g = alloc(dy.size);
  nat!.reluGrad(g, f32(dy), f32(y!));
  tf.tensor(g, dy.shape);
  return g;
}

/** Registers the layer kernels and their gradients (called once the addon has loaded). */
export function registerLayerKernels(addon: NativeAddon): string[] {
  nat = addon;
  tf.registerKernel({
    kernelName: DENSE,
    backendName: 'cpu',
    kernelFunc: (a) => {
      const args = a as unknown as KernelArgs;
      const be = args.backend as CpuBackend;
      const { x, w, bias } = args.inputs;
      const M = x!.shape[0]!,
        K = x!.shape[1]!,
        N = w!.shape[1]!;
      const y = alloc(M * N);
      addon.matmul(
        y,
        valuesOf(x!, be),
        valuesOf(w!, be),
        1,
        1,
        M,
        N,
        K,
        false,
        false,
        bias ? valuesOf(bias, be) : null,
        args.attrs?.activation === 'relu' ? 1 : 0,
        0,
        0,
      );
      return be.makeTensorInfo([M, N], 'float32', y);
    },
  });
  tf.registerGradient({
    kernelName: DENSE,
    inputsToSave: ['x', 'w'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, w, y] = saved as tf.Tensor[];
      const d = dy as tf.Tensor;
      const M = x!.shape[0]!,
        K = x!.shape[1]!,
        N = w!.shape[1]!;
      const g = masked(d, y, attrs.activation === 'relu');
      return {
        x: () => {
          const o = alloc(M * K);
          addon.matmul(o, g, f32(w!), 1, 1, M, K, N, false, true, null, 0, 0, 0);
          return tf.tensor(o, [M, K]);
        },
        w: () => {
          const o = alloc(K * N);
          addon.matmul(o, f32(x!), g, 1, 1, K, N, M, true, false, null, 0, 0, 0);
          return tf.tensor(o, [K, N]);
        },
        bias: () => {
          const o = new Float32Array(N);
          addon.reduce(0, o, g, 1, M, N);
          return tf.tensor(o, [N]);
        },
      };
    },
  });
  tf.registerKernel({
    kernelName: CONV,
    backendName: 'cpu',
    kernelFunc: (a) => {
      const args = a as unknown as KernelArgs;
      const be = args.backend as CpuBackend;
      const { x, filter, bias } = args.inputs;
      const ci = convInfo(x!.shape, filter!.shape, args.attrs ?? {});
      const y = alloc(ci.outShape.reduce((p, q) => p * q, 1));
      addon.convFwd(
        y,
        valuesOf(x!, be),
        valuesOf(filter!, be),
        bias ? valuesOf(bias, be) : null,
        convParams(ci),
        args.attrs?.activation === 'relu' ? 1 : 0,
        0,
      );
      return be.makeTensorInfo(ci.outShape, 'float32', y);
    },
  });
  tf.registerGradient({
    kernelName: CONV,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, w, y] = saved as tf.Tensor[];
      const d = dy as tf.Tensor;
      const ci = convInfo(x!.shape, w!.shape, attrs as unknown as Record<string, unknown>);
      const p = convParams(ci);
      const g = masked(d, y, attrs.activation === 'relu');
      return {
        x: () => {
          const o = alloc(x!.size);
          addon.convBwdData(o, g, f32(w!), p);
          return tf.tensor(o, x!.shape);
        },
        filter: () => {
          const o = alloc(w!.size);
          addon.convBwdWeights(o, f32(x!), g, p);
          return tf.tensor(o, w!.shape);
        },
        bias: () => {
          const C = ci.outChannels,
            o = new Float32Array(C);
          addon.reduce(0, o, g, 1, d.size / C, C);
          return tf.tensor(o, [C]);
        },
      };
    },
  });
  return [`${DENSE} (dense layer + gradients)`, `${CONV} (conv layer + gradients)`];
}

const ok = (...ts: (tf.Tensor | undefined)[]): boolean => ts.every((t) => !t || t.dtype === 'float32');

/**
 * y = act(x·W + b) for x [batch, in], W [in, out], b [out]: one native kernel, gradients included.
 * Same function as tf.fused.matMul({a: x, b: W, bias, activation}), which it falls back to.
 */
export function denseLayer(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  bias: tf.Tensor | undefined,
  activation: LayerActivation,
): tf.Tensor2D {
  if (
    !nat ||
    !ok(x, w, bias) ||
    x.rank !== 2 ||
    w.rank !== 2 ||
    x.shape[1] !== w.shape[0] ||
    (bias && bias.size !== w.shape[1])
  ) {
    return tf.fused.matMul({ a: x, b: w, bias, activation }) as tf.Tensor2D;
  }
  return tf.engine().runKernel(DENSE, bias ? { x, w, bias } : { x, w }, { activation }) as tf.Tensor2D;
}

/**
 * y = act(conv2d(x, W, stride, pad) + b), NHWC, W [kh, kw, cin, cout]: one native kernel, gradients
 * included. Same function as tf.fused.conv2d, which it falls back to.
 */
export function convLayer(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | [number, number],
  pad: 'same' | 'valid' | number,
  bias: tf.Tensor | undefined,
  activation: LayerActivation,
): tf.Tensor4D {
  if (
    !nat ||
    !ok(x, filter, bias) ||
    x.rank !== 4 ||
    filter.rank !== 4 ||
    x.shape[3] !== filter.shape[2] ||
    (bias && bias.size !== filter.shape[3])
  ) {
    return tf.fused.conv2d({ x, filter, strides, pad, bias, activation });
  }
  return tf
    .engine()
    .runKernel(CONV, bias ? { x, filter, bias } : { x, filter }, { strides, pad, activation }) as tf.Tensor4D;
}

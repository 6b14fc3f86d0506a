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
import type { CpuBackend, KernelArgs } from './cpu-backend.js';
import { convGeometry, convInfo } from './geometry.js';
import { SPRIG_KERNELS } from './names.js';
import { alloc, valuesOf } from '../pool.js';

export type LayerActivation = 'relu' | 'linear';
const DENSE = SPRIG_KERNELS.dense;
const CONV = SPRIG_KERNELS.conv2D;

/** The layer kernels exist only with the addon (register.ts); without it the layers run tf.fused.*. */
const nativeLayers = (): boolean => tf.getKernel(DENSE, 'cpu') !== undefined;

/** SprigDense forward: y = act(x·W + b) in one native product with a fused epilogue. */
export function denseKernel(nat: NativeAddon): tf.KernelConfig {
  return {
    kernelName: DENSE,
    backendName: 'cpu',
    kernelFunc: (a) => {
      const args = a as unknown as KernelArgs;
      const be = args.backend as CpuBackend;
      const { x, w, bias } = args.inputs;
      const m = x!.shape[0]!,
        k = x!.shape[1]!,
        n = w!.shape[1]!;
      const y = alloc(m * n);
      const act = args.attrs?.activation === 'relu' ? 1 : 0;
      nat.matmul(y, valuesOf(x!, be), valuesOf(w!, be), bias ? valuesOf(bias, be) : null, { m, n, k, act });
      return be.makeTensorInfo([m, n], 'float32', y);
    },
  };
}

/** SprigConv2D forward: y = act(conv2d(x, W) + b) in one oneDNN convolution. */
export function convKernel(nat: NativeAddon): tf.KernelConfig {
  return {
    kernelName: CONV,
    backendName: 'cpu',
    kernelFunc: (a) => {
      const args = a as unknown as KernelArgs;
      const be = args.backend as CpuBackend;
      const { x, filter, bias } = args.inputs;
      const ci = convInfo(x!.shape, filter!.shape, args.attrs ?? {});
      const y = alloc(ci.outShape.reduce((p, q) => p * q, 1));
      const act = args.attrs?.activation === 'relu' ? 1 : 0;
      const b = bias ? valuesOf(bias, be) : null;
      nat.convFwd(y, valuesOf(x!, be), valuesOf(filter!, be), b, { ...convGeometry(ci), act, alpha: 0 });
      return be.makeTensorInfo(ci.outShape, 'float32', y);
    },
  };
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
    !nativeLayers() ||
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
    !nativeLayers() ||
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

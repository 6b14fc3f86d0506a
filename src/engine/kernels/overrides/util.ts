/** What the native kernel wrappers share: reading the backend's arrays, making outputs, fused epilogues. */
import type * as tf from '@tensorflow/tfjs-core';
import type { Activation, NativeAddon } from '../addon.js';
import type { CpuBackend, KernelArgs } from '../cpu-backend.js';
import { ACTIVATIONS } from '../names.js';

/**
 * A native implementation of a TF.js kernel: its result, or null when it does not cover the case
 * (other dtypes, layouts, broadcasts), and then the JS kernel runs.
 */
export type Impl = (args: KernelArgs, be: CpuBackend) => tf.TensorInfo | null;
/** The native implementations of one kernel family, by TF.js kernel name. */
export type ImplTable = (nat: NativeAddon) => Record<string, Impl>;

export const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** The tensor's live float32 values, or null for any other dtype or storage. */
export function f32(be: CpuBackend, t: tf.TensorInfo | undefined): Float32Array | null {
  if (!t || t.dtype !== 'float32') return null;
  const v = be.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : null;
}

/** An optional input's values: undefined when absent, null when present but not float32. */
export function optionalF32(be: CpuBackend, t: tf.TensorInfo | undefined): Float32Array | null | undefined {
  return t ? f32(be, t) : undefined;
}

export function out(be: CpuBackend, shape: number[], values: Float32Array): tf.TensorInfo {
  return be.makeTensorInfo(shape, 'float32', values);
}

/** Several outputs, returned through TF.js's single-output kernel type (it accepts arrays). */
export const outs = (list: tf.TensorInfo[]): tf.TensorInfo => list as unknown as tf.TensorInfo;

export function dataFormatOk(f: unknown): boolean {
  return f === undefined || f === 'NHWC' || f === 'channelsLast';
}

/**
 * A fused kernel's activation and bias of `channels` entries; null when the addon cannot fuse them.
 * `rowBias`: the bias must also end in a `channels` axis (products; convolutions take any shape).
 */
export function fusedEpilogue(
  args: KernelArgs,
  be: CpuBackend,
  channels: number,
  rowBias: boolean,
): { bias: Float32Array | null; activation: Activation } | null {
  const attrs = args.attrs ?? {};
  if (args.inputs.preluActivationWeights) return null;
  const act = ACTIVATIONS[String(attrs.activation ?? 'linear')];
  if (act === undefined) return null;
  const activation = { act, alpha: Number(attrs.leakyreluAlpha ?? 0.2) };
  const bt = args.inputs.bias;
  if (!bt) return { bias: null, activation };
  const bias = f32(be, bt);
  // Only a bias that broadcasts along rows ([C], [1, C], ...) is fused natively.
  if (!bias || bias.length !== channels || (rowBias && bt.shape[bt.shape.length - 1] !== channels))
    return null;
  return { bias, activation };
}

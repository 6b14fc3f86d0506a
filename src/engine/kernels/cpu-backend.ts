/**
 * The parts of TF.js's CPU backend (tfjs-backend-cpu's MathBackendCPU) that sprig's kernels use:
 * its data storage, whose entries hold each tensor's typed array, and makeTensorInfo.
 */
import type * as tf from '@tensorflow/tfjs-core';

export interface CpuBackend {
  data: { get(id: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

/** What TF.js passes a kernel function. */
export type KernelArgs = {
  inputs: Record<string, tf.TensorInfo | undefined>;
  backend: unknown;
  attrs?: Record<string, unknown>;
};

/**
 * Softmax cross-entropy as ONE differentiable op: −mean_b Σ_k t_bk·log softmax(z_b)_k, with its
 * gradient (softmax(z)·Σt − t)/B in one pass. The tf-ops formulation (oneHot, logSoftmax, mul, sum,
 * mean, neg) costs ~25 kernel calls per step forward and backward, which matters for small
 * networks. Plain TypeScript over [batch, classes] in float64; registered (register.ts) whether or
 * not the native engine is loaded, its gradient in gradients.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CpuBackend } from './cpu-backend.js';
import { SPRIG_KERNELS } from './names.js';

const CE = SPRIG_KERNELS.softmaxCrossEntropy;

/** log Σ_k exp(z_bk) of each row of z [B, K], shifted by the row maximum (no overflow). */
function rowLogSumExp(z: Float32Array, B: number, K: number): Float64Array {
  const lse = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    const o = b * K;
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, z[o + k]!);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(z[o + k]! - m);
    lse[b] = m + Math.log(s);
  }
  return lse;
}

/** The kernel: −mean_b Σ_k t_bk·(z_bk − lse_b). */
export const softmaxCrossEntropyJs: tf.KernelFunc = ({ inputs, backend }) => {
  const be = backend as unknown as CpuBackend;
  const { logits, targets } = inputs as { logits: tf.TensorInfo; targets: tf.TensorInfo };
  const z = be.data.get(logits.dataId).values as Float32Array,
    t = be.data.get(targets.dataId).values as Float32Array;
  const [B, K] = logits.shape as [number, number];
  const lse = rowLogSumExp(z, B, K);
  let total = 0;
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < K; k++) total += t[b * K + k]! * (z[b * K + k]! - lse[b]!);
  }
  return be.makeTensorInfo([], 'float32', Float32Array.of(-total / B));
};

/** Its gradient: (softmax(z)·Σt − t)/B for the logits, −(z − lse)/B for the targets, times dy. */
export const softmaxCrossEntropyGrad: tf.GradConfig['gradFunc'] = (dy, saved) => {
  const [logits, targets] = saved as tf.Tensor[];
  const [B, K] = logits!.shape as [number, number];
  const g = (dy as tf.Tensor).dataSync()[0]! / B;
  const z = logits!.dataSync() as Float32Array,
    t = targets!.dataSync() as Float32Array;
  const lse = rowLogSumExp(z, B, K);
  return {
    logits: () => {
      const d = new Float32Array(B * K);
      for (let b = 0; b < B; b++) {
        const o = b * K;
        let st = 0;
        for (let k = 0; k < K; k++) st += t[o + k]!;
        for (let k = 0; k < K; k++) d[o + k] = g * (Math.exp(z[o + k]! - lse[b]!) * st - t[o + k]!);
      }
      return tf.tensor(d, [B, K]);
    },
    targets: () => {
      const d = new Float32Array(B * K);
      for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) d[b * K + k] = -g * (z[b * K + k]! - lse[b]!);
      return tf.tensor(d, [B, K]);
    },
  };
};

/**
 * Mean softmax cross-entropy of logits [batch, classes] against target distributions of the same
 * shape (one-hot or smoothed): the same function as −mean(sum(t ⊙ logSoftmax(z), 1)).
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  if (logits.dtype !== 'float32' || logits.rank !== 2 || targets.size !== logits.size) {
    return tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  }
  return tf.engine().runKernel(CE, { logits, targets: tf.cast(targets, 'float32') }) as tf.Scalar;
}

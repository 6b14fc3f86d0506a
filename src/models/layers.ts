/**
 * Building blocks shared by the model zoo: a spec builder that names parameters stably and counts
 * their use, and the functional forward pieces (dense, conv, batch norm) that read parameters by name.
 */
import {
  batchNormTrain,
  convLayer,
  denseLayer,
  sparseConvLayer,
  sparseConvPlanFor,
  sparseDenseLayer,
  sparsePlanFor,
  tf,
} from '../engine/index.js';
import type { BatchNormStats, ParamSpec, ParamTensors } from './types.js';
import type { Rng } from '../util/rng.js';

export class SpecBuilder {
  readonly specs: ParamSpec[] = [];
  readonly bnStats = new Map<string, BatchNormStats>();

  dense(name: string, inF: number, outF: number, opts: { bias?: boolean; isOutput?: boolean } = {}): void {
    this.specs.push({
      name: `${name}.weight`,
      shape: [inF, outF],
      kind: 'dense',
      prunable: true,
      isOutput: opts.isOutput ?? false,
      fanIn: inF,
      fanOut: outF,
      usesPerExample: 1,
    });
    if (opts.bias ?? true) this.bias(name, outF, 1);
  }

  /** A conv layer; `outHW` is its output's height·width, so FLOPs can be counted per example. */
  conv(
    name: string,
    k: number,
    cin: number,
    cout: number,
    outHW: number,
    opts: { bias?: boolean } = {},
  ): void {
    this.specs.push({
      name: `${name}.weight`,
      shape: [k, k, cin, cout],
      kind: 'conv',
      prunable: true,
      isOutput: false,
      fanIn: k * k * cin,
      fanOut: k * k * cout,
      usesPerExample: outHW,
    });
    if (opts.bias ?? true) this.bias(name, cout, outHW);
  }

  bn(name: string, c: number, outHW: number): void {
    const base = { shape: [c], prunable: false, isOutput: false, fanIn: 1, fanOut: 1, usesPerExample: outHW };
    this.specs.push({ ...base, name: `${name}.weight`, kind: 'bn_gamma' });
    this.specs.push({ ...base, name: `${name}.bias`, kind: 'bn_beta' });
    this.bnStats.set(name, { mean: new Float32Array(c), variance: new Float32Array(c).fill(1) });
  }

  private bias(name: string, c: number, uses: number): void {
    this.specs.push({
      name: `${name}.bias`,
      shape: [c],
      kind: 'bias',
      prunable: false,
      isOutput: false,
      fanIn: 1,
      fanOut: 1,
      usesPerExample: uses,
    });
  }
}

/** Kaiming-normal weights (std √(2/fan_in), as OpenLTH), zero biases, unit BN scale. */
export function initParams(specs: ParamSpec[], rng: Rng): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    if (s.kind === 'dense' || s.kind === 'conv') {
      const std = Math.sqrt(2 / s.fanIn);
      for (let i = 0; i < n; i++) v[i] = rng.normal() * std;
    } else if (s.kind === 'bn_gamma') {
      v.fill(1);
    }
    out.set(s.name, v);
  }
  return out;
}

export type Activation = 'relu' | 'linear';

export function dense(p: ParamTensors, name: string, x: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  const w = p[`${name}.weight`] as tf.Tensor2D;
  // A masked weight of a training run runs on the sparse kernels where that pays (sparse-engine.ts).
  const plan = sparsePlanFor(w, x.shape[0]);
  if (plan !== undefined) return sparseDenseLayer(x, w, p[`${name}.bias`], activation, plan);
  // One native kernel (forward and gradients) when the engine is loaded; tf.fused.matMul otherwise.
  return denseLayer(x, w, p[`${name}.bias`], activation);
}

export function conv(
  p: ParamTensors,
  name: string,
  x: tf.Tensor4D,
  stride: number,
  pad: 'same' | 'valid',
  activation: Activation,
): tf.Tensor4D {
  const w = p[`${name}.weight`] as tf.Tensor4D;
  // A masked filter of a training run runs on the sparse conv kernels where that pays.
  const plan = sparseConvPlanFor(w, x.shape[0]);
  if (plan !== undefined) return sparseConvLayer(x, w, stride, pad, p[`${name}.bias`], activation, plan);
  return convLayer(x, w, stride, pad, p[`${name}.bias`], activation);
}

const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1; // PyTorch's convention: running = (1−m)·running + m·batch

/**
 * Batch norm over N, H, W, then optionally `+ residual` and ReLU (relu(bn(x) + residual): one fused
 * kernel in training). In training it normalises with the batch statistics and folds them into
 * the running ones (unbiased variance, as PyTorch); in evaluation it uses the running statistics.
 */
export function batchNorm(
  p: ParamTensors,
  stats: Map<string, BatchNormStats>,
  name: string,
  x: tf.Tensor4D,
  training: boolean,
  fuse: { residual?: tf.Tensor4D; relu?: boolean; eps?: number } = {},
): tf.Tensor4D {
  const eps = fuse.eps ?? BN_EPS; // models read from TF.js files carry their own ε
  const gamma = p[`${name}.weight`] as tf.Tensor1D;
  const beta = p[`${name}.bias`] as tf.Tensor1D;
  const s = stats.get(name)!;
  if (!training) {
    let y = tf.batchNorm4d(x, tf.tensor1d(s.mean), tf.tensor1d(s.variance), beta, gamma, eps);
    if (fuse.residual) y = tf.add(y, fuse.residual);
    return fuse.relu ? tf.relu(y) : y;
  }
  return batchNormTrain(
    x,
    gamma,
    beta,
    eps,
    (mean, variance, count) => {
      const unbias = count > 1 ? count / (count - 1) : 1;
      for (let i = 0; i < mean.length; i++) {
        s.mean[i] = (1 - BN_MOMENTUM) * s.mean[i]! + BN_MOMENTUM * mean[i]!;
        s.variance[i] = (1 - BN_MOMENTUM) * s.variance[i]! + BN_MOMENTUM * variance[i]! * unbias;
      }
    },
    fuse,
  );
}

export function flatten(x: tf.Tensor4D): tf.Tensor2D {
  return tf.reshape(x, [x.shape[0], -1]);
}

export function maxPool2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, 'valid');
}

/** Output size of a 'valid' conv or pool. */
export function validOut(size: number, k: number, stride = 1): number {
  return Math.floor((size - k) / stride) + 1;
}

/**
 * Loss-landscape measures between trained solutions (Evci et al., "Gradient Flow in Sparse Neural
 * Networks and How Lottery Tickets Win", papers.md §6; Frankle et al. 2020 for the error barrier):
 * masked gradient norms on a fixed batch, L2 distances, linear interpolation with its error barrier,
 * prediction disagreement, and ensembles by averaged softmax.
 */
import { tf, scoped } from '../engine/index.js';
import type { Split } from '../data/types.js';
import type { Model, ParamTensors } from '../models/types.js';
import { metricsFromLogits, predict, type EvalMetrics } from '../training/evaluate.js';
import { crossEntropy } from '../training/losses.js';
import type { Masks } from '../sparsity/index.js';
import { BN_MOMENTUM } from '../models/layers.js';

type BnStats = Map<string, { mean: Float32Array; variance: Float32Array }>;

/** A trained (or initial) network: its weights and batch-norm running statistics. */
export interface Solution {
  weights: Map<string, Float32Array>;
  bnStats?: BnStats;
}

export interface GradNorm {
  /** ‖m ⊙ ∇L‖₂ over every trainable parameter, flattened together. */
  total: number;
  /** The same per parameter (prunable weights masked; biases as they are). */
  layers: Record<string, number>;
}

/**
 * L2 norm of the masked gradient of the unregularised cross-entropy (no weight decay, no label
 * smoothing) on a fixed batch, as rigl_tf2 logs it. The forward runs in training mode, as the
 * training loss does; batch-norm running statistics are restored afterwards, so measuring does not
 * change the run.
 */
export function gradientNorm(model: Model, params: ParamTensors, batch: Split, masks?: Masks): GradNorm {
  const saved = [...model.bnStats].map(
    ([n, s]) => [n, Float32Array.from(s.mean), Float32Array.from(s.variance)] as const,
  );
  const names = model.specs.map((s) => s.name);
  const [h, w, c] = model.inputShape;
  const sq = scoped(() => {
    const x = tf.tensor4d(batch.x, [batch.n, h, w, c]);
    const y = tf.tensor1d(batch.y, 'int32');
    const loss = (...ts: tf.Tensor[]) => {
      const p: ParamTensors = { ...params };
      names.forEach((n, i) => (p[n] = ts[i]!));
      return crossEntropy(model.forward(p, x, true), y);
    };
    const grads = tf.grads(loss)(names.map((n) => params[n]!));
    return names.map((n, i) => {
      const g = grads[i]!.dataSync() as Float32Array;
      const m = masks?.get(n);
      let s = 0;
      for (let j = 0; j < g.length; j++) {
        const v = m ? g[j]! * m[j]! : g[j]!;
        s += v * v;
      }
      return s;
    });
  });
  for (const [n, mean, variance] of saved) {
    model.bnStats.get(n)!.mean.set(mean);
    model.bnStats.get(n)!.variance.set(variance);
  }
  const layers: Record<string, number> = {};
  names.forEach((n, i) => (layers[n] = Math.sqrt(sq[i]!)));
  return { total: Math.sqrt(sq.reduce((a, b) => a + b, 0)), layers };
}

/** ‖a − b‖₂ over the named parameters (default: all of a's). */
export function l2Distance(
  a: Map<string, Float32Array>,
  b: Map<string, Float32Array>,
  names: Iterable<string> = a.keys(),
): number {
  let s = 0;
  for (const n of names) {
    const x = a.get(n)!;
    const y = b.get(n)!;
    for (let i = 0; i < x.length; i++) s += (x[i]! - y[i]!) ** 2;
  }
  return Math.sqrt(s);
}

/** (1 − α)·a + α·b, weights and batch-norm statistics alike (interpolation re-estimates the latter when it can). */
export function interpolate(a: Solution, b: Solution, alpha: number): Solution {
  const mix = (x: Float32Array, y: Float32Array) =>
    Float32Array.from(x, (v, i) => (1 - alpha) * v + alpha * y[i]!);
  const weights = new Map([...a.weights].map(([n, w]) => [n, mix(w, b.weights.get(n)!)]));
  const bnStats: BnStats = new Map();
  for (const [n, s] of a.bnStats ?? []) {
    const t = b.bnStats!.get(n)!;
    bnStats.set(n, { mean: mix(s.mean, t.mean), variance: mix(s.variance, t.variance) });
  }
  return { weights, bnStats };
}

/** Test logits of a solution (eval mode, with its own batch-norm statistics). */
export function logitsOf(model: Model, sol: Solution, split: Split): Float32Array {
  for (const [n, s] of sol.bnStats ?? []) {
    const t = model.bnStats.get(n);
    if (t) {
      t.mean.set(s.mean);
      t.variance.set(s.variance);
    }
  }
  const tensors = new Map(model.specs.map((s) => [s.name, tf.tensor(sol.weights.get(s.name)!, s.shape)]));
  try {
    const p: ParamTensors = Object.fromEntries(tensors);
    return predict(model, () => p, split);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

export function evaluateSolution(model: Model, sol: Solution, split: Split): EvalMetrics {
  return metricsFromLogits(logitsOf(model, sol, split), split.y, model.numClasses);
}

export interface Interpolation {
  alphas: number[];
  loss: number[];
  /** Hard error (1 − accuracy) at each α. */
  error: number[];
  /** Error barrier (Frankle et al. 2020): sup_α error(α) − mean(error(0), error(1)). */
  barrier: number;
  /** The same for the loss. */
  lossBarrier: number;
}

/**
 * Batch-norm running statistics of `weights`, estimated afresh on `data` (training examples): the
 * average over batches of each batch's mean and unbiased variance, in training mode (as PyTorch's
 * update_bn). The model's own statistics are left as they were.
 */
export function reestimateBn(
  model: Model,
  weights: Map<string, Float32Array>,
  data: Split,
  batchSize = 250,
): BnStats {
  const saved = new Map(
    [...model.bnStats].map(([n, s]) => [n, { mean: s.mean.slice(), variance: s.variance.slice() }]),
  );
  const sums: BnStats = new Map(
    [...model.bnStats].map(([n, s]) => [
      n,
      { mean: new Float32Array(s.mean.length), variance: new Float32Array(s.mean.length) },
    ]),
  );
  const [h, w, c] = model.inputShape;
  const per = h * w * c;
  const tensors = new Map(model.specs.map((s) => [s.name, tf.tensor(weights.get(s.name)!, s.shape)]));
  let seen = 0;
  try {
    const p: ParamTensors = Object.fromEntries(tensors);
    for (let i = 0; i < data.n; i += batchSize) {
      const n = Math.min(batchSize, data.n - i);
      // From zero, one training-mode update leaves m·(batch statistic) in the running buffers.
      for (const s of model.bnStats.values()) {
        s.mean.fill(0);
        s.variance.fill(0);
      }
      tf.tidy(() => {
        model.forward(p, tf.tensor4d(data.x.subarray(i * per, (i + n) * per), [n, h, w, c]), true);
      });
      for (const [name, s] of model.bnStats) {
        const acc = sums.get(name)!;
        for (let k = 0; k < s.mean.length; k++) {
          acc.mean[k]! += (n * s.mean[k]!) / BN_MOMENTUM;
          acc.variance[k]! += (n * s.variance[k]!) / BN_MOMENTUM;
        }
      }
      seen += n;
    }
  } finally {
    for (const t of tensors.values()) t.dispose();
    for (const [n, s] of saved) {
      model.bnStats.get(n)!.mean.set(s.mean);
      model.bnStats.get(n)!.variance.set(s.variance);
    }
  }
  for (const s of sums.values()) {
    s.mean.forEach((v, k, a) => (a[k] = v / seen));
    s.variance.forEach((v, k, a) => (a[k] = v / seen));
  }
  return sums;
}

/** The first n examples of a split (views, no copy). */
export function headOf(split: Split, n: number): Split {
  const k = Math.min(n, split.n);
  const per = split.x.length / split.n;
  return { x: split.x.subarray(0, k * per), y: split.y.subarray(0, k), n: k };
}

export interface InterpolationOptions {
  /** Evenly spaced α in [0, 1] (Frankle et al. use 30). */
  points?: number;
  /**
   * Training examples on which a batch-norm model's statistics are re-estimated at every α
   * (Frankle et al. 2020). Without them the running statistics are interpolated, which is wrong for
   * the interpolated weights and shows barriers that are not there.
   */
  bnData?: Split;
}

/** Loss and error along θ(α) = (1 − α)·a + α·b at evenly spaced α in [0, 1]. */
export function interpolation(
  model: Model,
  a: Solution,
  b: Solution,
  split: Split,
  opts: InterpolationOptions | number = {},
): Interpolation {
  const { points = 30, bnData } = typeof opts === 'number' ? { points: opts } : opts;
  const n = Math.max(2, points);
  const alphas = Array.from({ length: n }, (_, i) => i / (n - 1));
  const loss: number[] = [];
  const error: number[] = [];
  const reestimate = bnData !== undefined && model.bnStats.size > 0;
  for (const alpha of alphas) {
    const sol = interpolate(a, b, alpha);
    if (reestimate) sol.bnStats = reestimateBn(model, sol.weights, bnData);
    const m = evaluateSolution(model, sol, split);
    loss.push(m.loss);
    error.push(1 - m.accuracy);
  }
  const ends = (v: number[]) => (v[0]! + v.at(-1)!) / 2;
  return {
    alphas,
    loss,
    error,
    barrier: Math.max(...error) - ends(error),
    lossBarrier: Math.max(...loss) - ends(loss),
  };
}

/** Argmax class of each row of logits. */
export function argmaxRows(logits: Float32Array, numClasses: number): Int32Array {
  const n = logits.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < numClasses; k++)
      if (logits[i * numClasses + k]! > logits[i * numClasses + best]!) best = k;
    out[i] = best;
  }
  return out;
}

/** Fraction of examples on which two solutions predict different classes. */
export function disagreement(a: Int32Array, b: Int32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return a.length ? d / a.length : 0;
}

/** Accuracy of the ensemble that averages the members' softmax probabilities. */
export function ensembleAccuracy(members: Float32Array[], labels: Int32Array, numClasses: number): number {
  const n = labels.length;
  const avg = new Float64Array(n * numClasses);
  for (const z of members) {
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let k = 0; k < numClasses; k++) max = Math.max(max, z[i * numClasses + k]!);
      let sum = 0;
      for (let k = 0; k < numClasses; k++) sum += Math.exp(z[i * numClasses + k]! - max);
      for (let k = 0; k < numClasses; k++)
        avg[i * numClasses + k]! += Math.exp(z[i * numClasses + k]! - max) / sum / members.length;
    }
  }
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < numClasses; k++) if (avg[i * numClasses + k]! > avg[i * numClasses + best]!) best = k;
    if (best === labels[i]) correct++;
  }
  return n ? correct / n : 0;
}

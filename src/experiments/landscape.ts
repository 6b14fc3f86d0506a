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

/** (1 − α)·a + α·b, weights and batch-norm statistics alike. */
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

/** Loss and error along θ(α) = (1 − α)·a + α·b at `points` evenly spaced α in [0, 1] (Frankle et al. use 30). */
export function interpolation(
  model: Model,
  a: Solution,
  b: Solution,
  split: Split,
  points = 30,
): Interpolation {
  const n = Math.max(2, points);
  const alphas = Array.from({ length: n }, (_, i) => i / (n - 1));
  const loss: number[] = [];
  const error: number[] = [];
  for (const alpha of alphas) {
    const m = evaluateSolution(model, interpolate(a, b, alpha), split);
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

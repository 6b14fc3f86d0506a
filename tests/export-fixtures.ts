/** Shared by the export tests: random weights with real BN statistics, and sprig's own logits. */
import { tf } from '../src/engine/index.js';
import type { Model } from '../src/models/types.js';
import { Rng } from '../src/util/rng.js';
import type { StoredWeights } from '../src/experiments/run.js';
import type { Normalisation } from '../src/data/types.js';

export const GREY: Normalisation = { mean: [0.286], std: [0.353] };
export const RGB: Normalisation = { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] };

/** Random weights and non-trivial BN statistics, so that a swapped tensor shows. */
export function randomWeights(m: Model, seed: number): StoredWeights {
  const rng = new Rng(seed);
  const weights = m.init(rng);
  for (const s of m.specs)
    if (s.kind !== 'dense' && s.kind !== 'conv')
      weights.get(s.name)!.forEach((_, i, a) => (a[i] = 0.5 + rng.next()));
  const bnStats = new Map(
    [...m.bnStats.keys()].map((n) => {
      const c = m.bnStats.get(n)!.mean.length;
      return [
        n,
        {
          mean: Float32Array.from({ length: c }, () => rng.normal() * 0.1),
          variance: Float32Array.from({ length: c }, () => 0.5 + rng.next()),
        },
      ];
    }),
  );
  return { weights, bnStats };
}

export function sprigLogits(
  m: Model,
  w: StoredWeights,
  x01: Float32Array,
  n: number,
  norm: Normalisation,
): Float32Array {
  for (const [k, v] of w.bnStats) {
    m.bnStats.get(k)!.mean.set(v.mean);
    m.bnStats.get(k)!.variance.set(v.variance);
  }
  const c = norm.mean.length;
  const x = x01.map((v, i) => (v - norm.mean[i % c]!) / norm.std[i % c]!);
  return tf.tidy(() => {
    const p = Object.fromEntries(m.specs.map((s) => [s.name, tf.tensor(w.weights.get(s.name)!, s.shape)]));
    return m.forward(p, tf.tensor4d(x, [n, ...m.inputShape]), false).dataSync() as Float32Array;
  });
}

/** Zeroes all but `density` of each prunable weight (what a sparse run leaves). */
export function sparsify(m: Model, w: StoredWeights, density: number, seed: number): void {
  const rng = new Rng(seed);
  for (const s of m.specs)
    if (s.prunable) w.weights.get(s.name)!.forEach((_, i, a) => rng.next() >= density && (a[i] = 0));
}

/**
 * Two trainings that should agree (sparse vs masked-dense kernels, compiled vs TF.js step): the
 * same masks exactly, and every weight within a relative tolerance of its tensor's largest entry.
 */
import assert from 'node:assert/strict';

interface Trained {
  masks?: Map<string, unknown>;
  weights: Map<string, ArrayLike<number>>;
}

export function assertSameMasksAndWeights(label: string, a: Trained, b: Trained, tolerance = 2e-4): void {
  for (const [n, m] of a.masks ?? []) assert.deepEqual(b.masks!.get(n), m, `${label}: mask ${n}`);
  for (const [n, w] of a.weights) {
    const v = b.weights.get(n)!;
    let scale = 1e-3,
      err = 0;
    for (let i = 0; i < w.length; i++) {
      scale = Math.max(scale, Math.abs(w[i]!));
      err = Math.max(err, Math.abs(w[i]! - v[i]!));
    }
    assert.ok(err / scale < tolerance, `${label}: ${n} differs by ${err} (max |w| ${scale})`);
  }
}

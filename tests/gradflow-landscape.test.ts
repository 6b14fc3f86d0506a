import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/index.js';
import { loadDataset } from '../src/data/registry.js';
import { createModel } from '../src/models/registry.js';
import type { ParamTensors } from '../src/models/types.js';
import { crossEntropy } from '../src/training/losses.js';
import { Rng } from '../src/util/rng.js';
import {
  disagreement,
  ensembleAccuracy,
  evaluateSolution,
  gradientNorm,
  interpolation,
  l2Distance,
} from '../src/experiments/landscape.js';

const ds = loadDataset({ name: 'synthetic' });
const batch = { x: ds.train.x.slice(0, 32 * 64), y: ds.train.y.slice(0, 32), n: 32 };

function lossAt(model: ReturnType<typeof createModel>, w: Map<string, Float32Array>): number {
  return tf.tidy(() => {
    const p: ParamTensors = Object.fromEntries(
      model.specs.map((s) => [s.name, tf.tensor(w.get(s.name)!, s.shape)]),
    );
    const x = tf.tensor4d(batch.x, [batch.n, 8, 8, 1]);
    return crossEntropy(model.forward(p, x, false), tf.tensor1d(batch.y, 'int32')).dataSync()[0]!;
  });
}

test('the masked gradient norm matches central finite differences on a tiny net', () => {
  const model = createModel('mlp_3', [8, 8, 1], 4);
  const w = model.init(new Rng(4));
  // biases non-zero so that the bias gradients are not trivially tied to the weights
  for (const s of model.specs)
    if (s.kind === 'bias') w.get(s.name)!.forEach((_, i, a) => (a[i] = 0.1 * (i + 1)));
  const rng = new Rng(1);
  const masks = new Map(
    model.specs
      .filter((s) => s.prunable)
      .map((s) => [s.name, Float32Array.from(w.get(s.name)!, () => (rng.next() < 0.5 ? 1 : 0))]),
  );
  for (const [n, m] of masks) w.get(n)!.forEach((_, i, a) => (a[i]! *= m[i]!));
  const params: ParamTensors = Object.fromEntries(
    model.specs.map((s) => [s.name, tf.tensor(w.get(s.name)!, s.shape)]),
  );
  const gn = gradientNorm(model, params, batch, masks);

  const eps = 1e-2;
  let total = 0;
  for (const s of model.specs) {
    const arr = w.get(s.name)!;
    const m = masks.get(s.name);
    let sq = 0;
    for (let i = 0; i < arr.length; i++) {
      if (m && m[i] === 0) continue; // masked: its gradient does not count
      const v = arr[i]!;
      arr[i] = v + eps;
      const up = lossAt(model, w);
      arr[i] = v - eps;
      const down = lossAt(model, w);
      arr[i] = v;
      sq += ((up - down) / (2 * eps)) ** 2;
    }
    const fd = Math.sqrt(sq);
    total += sq;
    assert.ok(
      Math.abs(fd - gn.layers[s.name]!) <= 2e-2 * fd + 1e-4,
      `${s.name}: finite differences ${fd} vs ${gn.layers[s.name]}`,
    );
  }
  assert.ok(
    Math.abs(Math.sqrt(total) - gn.total) <= 2e-2 * gn.total,
    `total ${Math.sqrt(total)} vs ${gn.total}`,
  );
  // unmasked, the norm is larger (the masked entries have non-zero gradients)
  assert.ok(gradientNorm(model, params, batch).total > gn.total);
  for (const t of Object.values(params)) t.dispose();
});

test('interpolation endpoints equal the two solutions’ own errors, and the barrier is sup − mean of the ends', () => {
  const model = createModel('mlp_8', [8, 8, 1], 4);
  const a = { weights: model.init(new Rng(1)) };
  const b = { weights: model.init(new Rng(2)) };
  const it = interpolation(model, a, b, ds.test, 7);
  assert.equal(it.alphas.length, 7);
  assert.equal(it.alphas[0], 0);
  assert.equal(it.alphas[6], 1);
  const ea = evaluateSolution(model, a, ds.test);
  const eb = evaluateSolution(model, b, ds.test);
  assert.ok(Math.abs(it.error[0]! - (1 - ea.accuracy)) < 1e-12);
  assert.ok(Math.abs(it.error[6]! - (1 - eb.accuracy)) < 1e-12);
  assert.ok(Math.abs(it.loss[0]! - ea.loss) < 1e-6);
  assert.ok(Math.abs(it.loss[6]! - eb.loss) < 1e-6);
  assert.ok(Math.abs(it.barrier - (Math.max(...it.error) - (it.error[0]! + it.error[6]!) / 2)) < 1e-12);
  assert.ok(it.barrier >= 0);
});

test('distance, disagreement and ensemble accuracy on hand cases', () => {
  const a = new Map([['w', new Float32Array([0, 0, 0])]]);
  const b = new Map([['w', new Float32Array([3, 4, 0])]]);
  assert.equal(l2Distance(a, b), 5);
  assert.equal(disagreement(new Int32Array([0, 1, 2, 3]), new Int32Array([0, 1, 0, 0])), 0.5);
  // example 0: member 1 is confidently class 0, member 2 mildly class 1 → the average says 0;
  // example 1: member 1 is undecided, member 2 confidently class 1 → the average says 1
  const z1 = new Float32Array([5, 0, 0, 0]);
  const z2 = new Float32Array([0, 1, 0, 5]);
  assert.equal(ensembleAccuracy([z1, z2], new Int32Array([0, 1]), 2), 1);
  assert.equal(ensembleAccuracy([z1, z2], new Int32Array([1, 1]), 2), 0.5);
  assert.equal(ensembleAccuracy([z2], new Int32Array([0, 1]), 2), 0.5);
  assert.equal(ensembleAccuracy([z1], new Int32Array([0, 0]), 2), 1);
});

/**
 * Defect: the interpolation barrier of a batch-norm model interpolated the running statistics,
 * which are not those of the interpolated weights: a false barrier between two copies of one
 * function. Linear-mode-connectivity work re-estimates them on training batches at every α.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset } from '../src/data/registry.js';
import { createModel } from '../src/models/registry.js';
import { Rng } from '../src/util/rng.js';
import { interpolation, reestimateBn } from '../src/experiments/landscape.js';

const ds = loadDataset({ name: 'synthetic' });

test('a batch-norm net and its conv-weights-×3 copy (the same function) have no barrier between them', () => {
  const model = createModel('cifar_resnet_20', ds.inputShape, ds.numClasses);
  const w = model.init(new Rng(5));
  // non-zero BN shifts, so that a wrong variance changes what the ReLUs pass
  for (const s of model.specs)
    if (s.kind === 'bn_beta') w.get(s.name)!.forEach((_, i, a) => (a[i] = 0.5 * Math.sin(i + 1)));
  const scaled = new Map(
    [...w].map(([n, v]) => [n, n.startsWith('conv') || n.includes('conv') ? v.map((x) => 3 * x) : v]),
  );
  const train = { x: ds.train.x.slice(0, 256 * 64), y: ds.train.y.slice(0, 256), n: 256 };
  const a = { weights: w, bnStats: reestimateBn(model, w, train) };
  const b = { weights: scaled, bnStats: reestimateBn(model, scaled, train) };
  const test = ds.test;
  const r = interpolation(model, a, b, test, { points: 5, bnData: train });
  for (const l of r.loss) assert.ok(Math.abs(l - r.loss[0]!) < 1e-3, `losses ${r.loss}`);
  assert.ok(Math.abs(r.lossBarrier) < 1e-3);
  // the old way, interpolating the running statistics, is not flat on this pair of equal functions
  const old = interpolation(model, a, b, test, { points: 5 });
  const off = Math.max(...old.loss.map((l) => Math.abs(l - old.loss[0]!)));
  assert.ok(off > 0.05, `old losses ${old.loss}`);
});

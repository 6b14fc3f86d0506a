/**
 * The in-memory library path beyond sparsify (issue 25): `prune(model, data, { schedule })` by GMP
 * (the dst kind) and by IMP (the lottery kind), `lotteryTicket`, a tf.data.Dataset in place of
 * tensors, and small_dense's guard. Each trains a tiny real run, checks the density of the model it
 * returns, and that a second call is a cache hit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfd from '@tensorflow/tfjs-data';
import { tf } from '../src/engine/index.js';
import { lotteryTicket, prune, sparsify } from '../src/index.js';
import { tempRoot } from './helpers.js';

/** A named MLP (TF.js numbers unnamed layers per process), new random weights each call. */
function mlp(): tfl.Sequential {
  return tfl.sequential({
    name: 'mlp',
    layers: [
      tfl.layers.dense({ name: 'fc1', inputShape: [16], units: 32, activation: 'relu' }),
      tfl.layers.dense({ name: 'fc2', units: 4, activation: 'softmax' }),
    ],
  });
}

/** 256 examples, the class is the largest of the first four features. */
function data(seed = 1) {
  const x = tf.randomNormal([256, 16], 0, 1, 'float32', seed);
  return { x, y: tf.argMax(tf.slice(x, [0, 0], [-1, 4]), 1) };
}

/** Nonzero fraction of the kernels (the prunable weights) of a LayersModel. */
function kernelDensity(lm: tfl.LayersModel): number {
  const kernels = lm.layers.map((l) => l.getWeights()[0]!.dataSync());
  const nonzero = kernels.reduce((n, k) => n + k.filter((v) => v !== 0).length, 0);
  return nonzero / kernels.reduce((n, k) => n + k.length, 0);
}

const TRAINING = { trainSteps: '3ep', batchSize: 32 };

test("prune(model, data, { schedule: 'gmp' }) runs `sprig dst --method gmp` to its sparsity, cached", async () => {
  const root = tempRoot();
  const d = data();
  const o = { schedule: 'gmp', sparsity: 0.75, dst: { deltaT: 2 }, training: TRAINING, root } as const;
  const first = await prune(mlp(), d, o);
  assert.equal(first.result.method, 'gmp');
  assert.equal(first.result.cached, false);
  assert.equal(kernelDensity(first.model), first.result.sparsity.density);
  assert.ok(
    Math.abs(first.result.sparsity.density - 0.25) < 0.01,
    `density ${first.result.sparsity.density}`,
  );
  const again = await prune(mlp(), d, o);
  assert.equal(again.result.cached, true);
  assert.equal(again.result.runId, first.result.runId);
});

test("prune(…, { schedule: 'imp' }) and lotteryTicket run the lottery kind: one run, its ticket, cached", async () => {
  const root = tempRoot();
  const d = data();
  const o = { levels: 2, training: TRAINING, root };
  const first = await prune(mlp(), d, { schedule: 'imp', ...o });
  assert.equal(first.cached, false);
  assert.match(first.result.runId, /^lottery_/);
  // per layer at 20 % a level (the output layer at 10 %): the lottery kind's defaults
  const [fc1, fc2] = [16 * 32, 32 * 4];
  const kept = (Math.round(fc1 * 0.8 ** 2) + Math.round(fc2 * 0.9 ** 2)) / (fc1 + fc2);
  assert.ok(Math.abs(first.density - kept) < 0.01, `density ${first.density} against ${kept}`);
  assert.equal(kernelDensity(first.model), first.density);
  // the ticket: the same mask on θ0, which the trained model has moved away from
  const maskOf = (lm: tfl.LayersModel) =>
    lm.layers.map((l) => [...l.getWeights()[0]!.dataSync()].map((v) => v !== 0));
  assert.deepEqual(maskOf(first.ticket), maskOf(first.model));
  assert.notDeepEqual(first.ticket.getWeights()[0]!.dataSync(), first.model.getWeights()[0]!.dataSync());
  // the same experiment by its own name, and again: nothing trains
  const ticket = await lotteryTicket(mlp(), d, o);
  assert.equal(ticket.cached, true);
  assert.equal(ticket.result.runId, first.result.runId);
  assert.deepEqual(ticket.model.getWeights()[0]!.dataSync(), first.model.getWeights()[0]!.dataSync());
});

test('a tf.data.Dataset, batched or not, is the same data as its tensors: the same run id', async () => {
  const root = tempRoot();
  const d = data();
  const o = { method: 'set', sparsity: 0.5, training: { trainSteps: '1it', batchSize: 32 }, root } as const;
  const base = await sparsify(mlp(), d, o);
  const rows = () => tf.unstack(d.x).map((x, i) => ({ xs: x, ys: tf.unstack(d.y)[i]! }));
  const unbatched = tfd.array(rows());
  const batched = tfd.array(rows()).batch(50);
  const pairs = tfd.array(rows()).map((e) => [(e as { xs: tf.Tensor }).xs, (e as { ys: tf.Tensor }).ys]);
  for (const ds of [unbatched, batched, pairs]) {
    const r = await sparsify(mlp(), ds, o);
    assert.equal(r.result.runId, base.result.runId);
    assert.equal(r.result.cached, true);
  }
  // other data, another run; an infinite dataset is refused with its fix
  const other = tfd.array(rows().slice(0, 200)).batch(50);
  assert.notEqual((await sparsify(mlp(), other, o)).result.runId, base.result.runId);
  await assert.rejects(sparsify(mlp(), tfd.array(rows()).repeat(), o), /infinite[\s\S]*take\(n\)/);
});

test('small_dense: refused for your own model (it trains another network), a zoo MLP comes back narrower', async () => {
  const root = tempRoot();
  const d = data();
  const o = {
    method: 'small_dense',
    sparsity: 0.75,
    training: { trainSteps: '1it', batchSize: 32 },
    root,
  } as const;
  await assert.rejects(sparsify(mlp(), d, o), /small_dense trains a narrower MLP[\s\S]*zoo MLP/);
  const r = await sparsify('mlp_32', d, o);
  assert.match(r.result.model, /^mlp_\d+$/);
  assert.notEqual(r.result.model, 'mlp_32');
  const params = r.model.countParams();
  assert.ok(params < 16 * 32 + 32 + 32 * 4 + 4, `${params} parameters`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricsFromLogits } from '../src/training/evaluate.js';
import { loadDataset } from '../src/data/registry.js';
import { streamSource } from '../src/training/sources.js';
import { SprigError } from '../src/util/errors.js';
import {
  checkIdealPool,
  idealPoolSource,
  recording,
  splitWorlds,
} from '../src/experiments/bootstrap-worlds.js';
import {
  bootstrapGap,
  bootstrapHparamsSchema,
  schedule,
  stoppingStep,
  worldsData,
  type CurvePoint,
} from '../src/experiments/bootstrap.js';

test('soft error, hard error and loss on a hand-computed batch', () => {
  // rows: p = (1/2, 1/2) label 0; p = (3/4, 1/4) label 0; p = (3/4, 1/4) label 1
  const logits = new Float32Array([0, 0, Math.log(3), 0, Math.log(3), 0]);
  const m = metricsFromLogits(logits, new Int32Array([0, 0, 1]), 2);
  assert.ok(Math.abs(m.softError - (0.5 + 0.25 + 0.75) / 3) < 1e-7);
  assert.ok(Math.abs(m.accuracy - 2 / 3) < 1e-12); // a tie goes to the first class
  assert.ok(Math.abs(m.loss - (Math.log(2) + Math.log(4 / 3) + Math.log(4)) / 3) < 1e-6);
});

test('the Real World subset and the Ideal World pool are disjoint and cover the training set', () => {
  const { real, pool } = splitWorlds(100, 30, 5);
  assert.equal(real.length, 30);
  assert.equal(pool.length, 70);
  const all = new Set([...real, ...pool]);
  assert.equal(all.size, 100);
  assert.throws(() => splitWorlds(100, 100, 0), SprigError);
});

test('Ideal World batches never repeat a sample and come only from the pool', () => {
  const ds = loadDataset({ name: 'synthetic' });
  const { pool } = splitWorlds(ds.train.n, 64, 1);
  const inPool = new Set(pool);
  const src = idealPoolSource(ds.train, pool, 16, 3);
  const seen = new Set<number>();
  const steps = Math.floor(pool.length / 16);
  for (let s = 0; s < steps; s++) {
    const b = src.next();
    assert.equal(b.n, 16);
    for (const i of b.indices!) {
      assert.ok(inPool.has(i), `sample ${i} is not in the pool`);
      assert.ok(!seen.has(i), `sample ${i} seen twice`);
      seen.add(i);
      // the batch holds that sample's data
      assert.equal(b.y[[...b.indices!].indexOf(i)], ds.train.y[i]);
    }
  }
  assert.equal(seen.size, steps * 16);
});

test('the Ideal World source resumes exactly and reports a repeat pass when allowed', () => {
  const ds = loadDataset({ name: 'synthetic' });
  const pool = Int32Array.from({ length: 40 }, (_, i) => i);
  const passes: number[] = [];
  const a = idealPoolSource(ds.train, pool, 16, 9, (p) => passes.push(p));
  a.next();
  const state = a.state();
  const next = a.next();
  const b = idealPoolSource(ds.train, pool, 16, 9);
  b.load(JSON.parse(JSON.stringify(state)));
  assert.deepEqual([...b.next().indices!], [...next.indices!]);
  a.next(); // 32 + 16 > 40: a new pass starts
  assert.deepEqual(passes, [1]);
});

test('a pool smaller than T × batch is refused with the largest T, unless repeats are allowed', () => {
  assert.throws(
    () => checkIdealPool(1000, 100, 16, false),
    (e: Error) => e instanceof SprigError && /T may be at most 62 iterations/.test(e.message),
  );
  assert.deepEqual(checkIdealPool(1000, 100, 16, true), { maxSteps: 62, repeats: true });
  assert.deepEqual(checkIdealPool(1000, 62, 16, false), { maxSteps: 62, repeats: false });
});

test('the Real World trains on exactly n distinct samples, re-used over epochs', () => {
  const hp = bootstrapHparamsSchema.parse({ dataset: { name: 'synthetic' }, bootstrap: { n: 100 } });
  const data = worldsData(hp.bootstrap, hp.dataset, 0);
  assert.equal(data.real.n, 100);
  assert.equal(data.poolSize, 512 - 100);
  const src = streamSource(data.real, { batchSize: 32, seed: 0 });
  const seen = new Set<string>();
  for (let s = 0; s < 20; s++) {
    const b = src.next();
    const d = b.x.length / b.n;
    for (let k = 0; k < b.n; k++) seen.add(Array.from(b.x.subarray(k * d, (k + 1) * d)).join(','));
  }
  assert.equal(seen.size, 100); // 20 batches × 32 > 100: every sample, and nothing else
  // and none of them is in the Ideal World's pool
  const { pool } = splitWorlds(512, 100, 0);
  const ds = loadDataset({ name: 'synthetic' });
  const d = ds.train.x.length / ds.train.n;
  for (const i of pool) assert.ok(!seen.has(Array.from(ds.train.x.subarray(i * d, (i + 1) * d)).join(',')));
});

test('the teacher source gives fresh samples that never repeat', () => {
  const hp = bootstrapHparamsSchema.parse({
    bootstrap: { source: 'teacher', n: 50, teacherSide: 4, teacherClasses: 3, teacherTest: 20 },
  });
  const data = worldsData(hp.bootstrap, hp.dataset, 0);
  assert.equal(data.poolSize, null);
  assert.equal(data.real.n, 50);
  const src = data.ideal(8, 0, () => assert.fail('no repeats'));
  const seen = new Set<number>();
  for (let s = 0; s < 10; s++) for (const v of src.next().x.filter((_, i) => i % 16 === 0)) seen.add(v);
  assert.equal(seen.size, 80);
});

test('the recording window holds the latest samples seen', () => {
  const ds = loadDataset({ name: 'synthetic' });
  const pool = Int32Array.from({ length: 200 }, (_, i) => i);
  const rec = recording(idealPoolSource(ds.train, pool, 16, 2), 40);
  const ys: number[] = [];
  for (let s = 0; s < 5; s++) ys.push(...rec.next().y);
  const r = rec.recent();
  assert.equal(r.n, 40);
  assert.deepEqual([...r.y], ys.slice(-40));
});

test('schedule counts Real World epochs; gap and stopping time', () => {
  const t = bootstrapHparamsSchema.parse({ training: { batchSize: 10, trainSteps: '2ep' } }).training;
  // 95 samples at batch 10: 9 full batches an epoch (the partial one is dropped)
  assert.deepEqual(schedule({ n: 95, logEvery: '7it' }, t), {
    itersPerEpoch: 9,
    totalSteps: 18,
    logSteps: [0, 7, 14, 18],
  });
  const pt = (step: number, soft: number, train: number | null): CurvePoint => ({
    step,
    samplesSeen: step,
    testSoftError: soft,
    testError: soft,
    testLoss: 0,
    trainError: train,
    trainSoftError: train,
    trainLoss: 0,
  });
  const real = [pt(0, 0.9, 0.9), pt(5, 0.5, 0.2), pt(10, 0.4, 0.005), pt(15, 0.41, 0)];
  const ideal = [pt(0, 0.9, null), pt(5, 0.45, 0.3), pt(10, 0.3, 0.2), pt(15, 0.2, 0.1)];
  const g = bootstrapGap(real, ideal);
  assert.deepEqual(g.steps, [0, 5, 10, 15]);
  assert.ok(Math.abs(g.gap[2]! - 0.1) < 1e-12);
  assert.equal(stoppingStep(real, 0.01), 10);
  assert.equal(stoppingStep(real, 0.001), 15);
  assert.equal(stoppingStep(ideal, 0.01), null);
});

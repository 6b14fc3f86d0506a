import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../src/data/registry.js';
import { RunStore } from '../src/store/store.js';
import { train } from '../src/training/loop.js';
import { countActive } from '../src/sparsity/index.js';
import {
  DST_RECIPE_VERSION,
  dstHparamsSchema,
  planDst,
  runDst,
  smallDenseWidths,
  type DstResult,
} from '../src/experiments/dst.js';
import { canonical, runId } from '../src/experiments/hparams.js';
import { methodNames } from '../src/algorithms/index.js';
import { SprigError } from '../src/util/errors.js';
import { sprig, sprigJson, tempRoot } from './helpers.js';

const data = loadDataset({ name: 'synthetic' }); // 512 train, 8×8×1, 4 classes: 8 iterations per epoch at batch 64
const training = { trainSteps: '4ep', batchSize: 64, lr: 0.05, momentum: 0.9 };
const hp = (dst: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  dataset: { name: 'synthetic' },
  model: { name: 'mlp_32_16' },
  training,
  dst: { deltaT: 5, ...dst },
  ...extra,
});

test('every method runs end to end, keeps its target densities and reports FLOPs', () => {
  const store = new RunStore(tempRoot());
  const plan = planDst(hp({ method: 'static' }), data);
  const target = [...plan.densities.values()];
  for (const method of methodNames) {
    const r = runDst({ store, hparams: hp({ method }), dataset: data });
    assert.equal(r.steps, 32, method);
    // chance is 0.25 on 4 classes; every method reached ≥ 0.75 here on seeds 0 and 1 (magnitude_init 0.82, 0.88)
    assert.ok(r.testAccuracy > 0.6, `${method} learns: ${r.testAccuracy}`);
    assert.deepEqual(Object.keys(r.densities), ['fc1.weight', 'fc2.weight', 'fc.weight']);
    // small_dense is a narrower MLP with about the sparse net's parameter count; the others keep the model
    if (method === 'small_dense') assert.match(r.model, /^mlp_\d+_\d+$/);
    assert.equal(r.model === 'mlp_32_16', method !== 'small_dense', `${method} trains ${r.model}`);
    if (method === 'dense' || method === 'small_dense')
      assert.deepEqual(Object.values(r.densities), [1, 1, 1]);
    else
      Object.values(r.densities).forEach((d, i) =>
        assert.ok(Math.abs(d - target[i]!) < 0.01, `${method} ${d} vs ${target[i]}`),
      );
    assert.ok(r.flops.inferenceFraction > 0 && r.flops.inferenceFraction <= 1);
    const again = runDst({ store, hparams: hp({ method }), dataset: data });
    assert.equal(again.cached, true);
    assert.deepEqual(again.densities, r.densities, 'a stored run reports the same densities');
    assert.deepEqual(again.flops, r.flops);
  }
  // dense ignores the sparsity: one run whatever the target
  assert.equal(
    planDst(hp({ method: 'dense', sparsity: 0.5 }), data).runId,
    planDst(hp({ method: 'dense', sparsity: 0.95 }), data).runId,
  );
  assert.notEqual(
    planDst(hp({ method: 'rigl', sparsity: 0.5 }), data).runId,
    planDst(hp({ method: 'rigl', sparsity: 0.95 }), data).runId,
  );
  store.close();
});

test('ERK densities are wired through: LeNet-300-100 at S = 0.9 gets 0.0796 / 0.2302 / 1.0 and the random masks match', () => {
  const fm = { ...data, inputShape: [28, 28, 1] as [number, number, number], numClasses: 10 };
  const plan = planDst(hp({ method: 'rigl', sparsity: 0.9 }, { model: { name: 'mnist_lenet_300_100' } }), fm);
  const d = [...plan.densities.values()].map((x) => Number(x.toFixed(4)));
  assert.deepEqual(d, [0.0796, 0.2302, 1]);
  const counts = [...plan.masks!.values()].map(countActive);
  assert.deepEqual(counts, [
    Math.round(plan.densities.get('fc1.weight')! * 235200),
    Math.round(plan.densities.get('fc2.weight')! * 30000),
    1000,
  ]);
  // the initial weights are zero off the mask
  const w = plan.init.get('fc1.weight')!;
  const m = plan.masks!.get('fc1.weight')!;
  for (let i = 0; i < w.length; i += 97) if (m[i] === 0) assert.equal(w[i], 0);
  // small-dense: same parameter count as the sparse net (~ 26.7k of LeNet-300-100's 266,610 at S = 0.9)
  const widths = smallDenseWidths([300, 100], 784, 10, 24000 + 410);
  assert.ok(widths[0]! > 20 && widths[0]! < 40, `${widths}`);
});

test('FLOPs by hand on a small net (RigL App. H)', () => {
  // mlp_4 on 8×8: fc1 64×4 (256), fc 4×4 (16): f_D = 2·272 = 544; uniform S = 0.5, no dense first layer: f_S = 272
  const store = new RunStore(tempRoot());
  const base = { sparsity: 0.5, distribution: 'uniform', denseFirstLayer: false, deltaT: 10 };
  const run = (method: string, dst: Record<string, unknown> = {}) =>
    runDst({
      store,
      hparams: {
        ...hp({ ...base, method, ...dst }),
        model: { name: 'mlp_4' },
        training: { ...training, trainSteps: '2ep' },
      },
      dataset: data,
    });
  const fD = 544;
  const fS = 272;
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`);
  const rigl = run('rigl');
  close(rigl.flops.trainingPerStep, (3 * fS * 10 + 2 * fS + fD) / 11);
  close(rigl.flops.trainingFraction, (3 * fS * 10 + 2 * fS + fD) / 11 / (3 * fD));
  close(rigl.flops.inference, fS);
  close(rigl.flops.inferenceFraction, 0.5);
  close(run('static').flops.trainingPerStep, 3 * fS);
  close(run('set').flops.trainingPerStep, 3 * fS);
  close(run('snip').flops.trainingPerStep, 3 * fS);
  close(run('snfs').flops.trainingPerStep, 2 * fS + fD);
  close(run('dense').flops.trainingPerStep, 3 * fD);
  // GMP over 16 steps, pruning at 2, 6, 10 to 0.5: s_t = 0 (t < 6), 0.4375 (6–9), 0.5 (10–15)
  const gmp = run('gmp', { gmpBegin: '2it', gmpEnd: '10it', gmpFrequency: 4 });
  close(gmp.flops.trainingPerStep, (3 * fD * (6 + 4 * 0.5625 + 6 * 0.5)) / 16);
  close(gmp.flops.inference, fS);
  // small-dense: a dense mlp with ~ the same parameter count, FLOPs against the big dense model
  const sd = run('small_dense');
  assert.equal(sd.model, 'mlp_2');
  close(sd.flops.trainingFraction, (2 * (64 * 2 + 2 * 4)) / fD);
  // RigL M×: the same per-step cost over M× the steps, so M× the whole-run cost against dense on the
  // base schedule (RigL 2× at S costs twice RigL 1×); every method reports the same quantity
  for (const method of ['rigl', 'static', 'dense', 'gmp']) {
    const gmpPoints = method === 'gmp' ? { gmpBegin: '2it', gmpEnd: '10it', gmpFrequency: 4 } : {};
    const once = run(method, gmpPoints);
    const twice = run(method, { ...gmpPoints, multiplier: 2 });
    assert.equal(twice.steps, 2 * once.steps);
    close(twice.flops.trainingFraction, 2 * twice.flops.trainingPerStepFraction);
    close(once.flops.trainingFraction, once.flops.trainingPerStepFraction);
    if (method !== 'gmp') close(twice.flops.trainingFraction, 2 * once.flops.trainingFraction);
  }
  close(rigl.flops.trainingPerStepFraction, rigl.flops.trainingPerStep / (3 * fD));
  store.close();
});

test('M× scales the warm-up with the steps and milestones; such runs get an id of their own', () => {
  const plan = (multiplier: number, warmup: string) =>
    planDst(
      hp(
        { method: 'rigl', multiplier },
        { training: { ...training, warmup, lrSchedule: 'multistep', milestones: ['2ep'] } },
      ),
      data,
    );
  const once = plan(1, '4it');
  const twice = plan(2, '4it');
  assert.equal(twice.totalSteps, 2 * once.totalSteps);
  assert.deepEqual([once.options.lr.warmup, once.options.lr.milestones], [4, [16]]);
  assert.deepEqual([twice.options.lr.warmup, twice.options.lr.milestones], [8, [32]]);
  // the id the 1×-warm-up runs were stored under is not reused for the scaled warm-up
  const defaults = dstHparamsSchema.parse({}) as Record<string, unknown>;
  const storedUnder = runId(
    'dst',
    canonical(twice.hp as Record<string, unknown>, defaults),
    DST_RECIPE_VERSION,
  );
  assert.notEqual(twice.runId, storedUnder);
  // without a warm-up, or at 1×, nothing changed: the id is the plain hash
  for (const p of [plan(2, '0it'), once])
    assert.equal(
      p.runId,
      runId('dst', canonical(p.hp as Record<string, unknown>, defaults), DST_RECIPE_VERSION),
    );
});

test('GMP reaches its schedule endpoints in a run: dense before t0, exactly the target from the end step on', () => {
  const plan = planDst(
    hp({ method: 'gmp', sparsity: 0.8, gmpBegin: '4it', gmpEnd: '20it', gmpFrequency: 4 }),
    data,
  );
  const seen = new Map<number, number[]>();
  const opts = plan.options;
  train({
    ...opts,
    callbacks: { onStep: (step) => seen.set(step, [...plan.masks!.values()].map(countActive)) },
  });
  const targets = [...plan.densities].map(([n, d]) => Math.round(d * plan.masks!.get(n)!.length));
  assert.deepEqual(seen.get(4), [2048, 512, 64], 'dense through step 3 (and s_i = 0 at t0)');
  assert.deepEqual(seen.get(21), targets);
  assert.deepEqual(seen.get(32), targets);
});

test('RigL and SET keep every layer’s active count constant through a run while the masks move', () => {
  for (const method of ['rigl', 'set']) {
    const plan = planDst(hp({ method, deltaT: 3 }), data);
    const start = new Map([...plan.masks!].map(([n, m]) => [n, m.slice()]));
    const counts = [...plan.masks!.values()].map(countActive);
    train({
      ...plan.options,
      callbacks: { onStep: () => assert.deepEqual([...plan.masks!.values()].map(countActive), counts) },
    });
    const moved = [...plan.masks!].some(([n, m]) => m.some((v, i) => v !== start.get(n)![i]));
    assert.ok(moved, `${method} changed its masks`);
  }
});

test('bad input fails before training with a clear error', () => {
  const root = tempRoot();
  const store = new RunStore(root);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ method: 'rigl', sparsity: 1 }, /sparsity = 1 is outside \[0, 1\)/],
    [{ method: 'rigl', sparsity: -0.1 }, /sparsity = -0.1 is outside/],
    [{ method: 'rigl', deltaT: 0 }, /ΔT \(deltaT\) = 0 must be/],
    [{ method: 'rigl', tEnd: '100ep' }, /T_end \(tEnd\) = 800 is past the end of training \(32 steps\)/],
    [{ method: 'rigl', tEnd: 1.5 }, /not a fraction of training/],
    [
      { method: 'lottery' },
      /unknown sparse-training method 'lottery'[\s\S]*dense, small_dense, static, snip, set, snfs, rigl, gmp/,
    ],
    [
      { method: 'rigl', distribution: 'erk', sparsity: 0.99, densities: { 'fc1.weight': 1 } },
      /cannot reach sparsity 0.99[\s\S]*'fc1.weight' \(2048 weights at density 1\)/,
    ],
    [
      { method: 'rigl', distribution: 'custom', densities: { 'fc1.weight': 0.1 } },
      /custom distribution gives no density for 'fc2.weight', 'fc.weight'/,
    ],
    [
      { method: 'static', distribution: 'uniform', sparsity: 0.999 },
      /leaves layer 'fc.weight' \(64 weights\) with no weights/,
    ],
    [{ method: 'rigl', distribution: 'gaussian' }, /unknown distribution 'gaussian'/],
    [{ method: 'gmp', gmpEnd: '10ep' }, /pruning end step 80 is past the end of training/],
  ];
  for (const [dst, re] of bad) {
    assert.throws(
      () => runDst({ store, hparams: hp(dst), dataset: data }),
      (e: Error) => e instanceof SprigError && re.test(e.message),
      JSON.stringify(dst),
    );
  }
  assert.throws(
    () =>
      runDst({
        store,
        hparams: hp({ method: 'small_dense' }, { model: { name: 'mnist_lenet5' } }),
        dataset: { ...data, inputShape: [28, 28, 1] },
      }),
    /small_dense needs an MLP/,
  );
  assert.deepEqual(
    readdirSync(root).filter((d) => d.startsWith('dst_')),
    [],
    'no run was started',
  );
  store.close();
});

test('a resumed DST run (RigL, SNFS, SET) ends exactly where an uninterrupted one ends', () => {
  for (const method of ['rigl', 'snfs', 'set']) {
    const h = hp({ method, deltaT: 3 }, { training: { ...training, trainSteps: '6ep' } });
    const reference = runDst({ store: new RunStore(tempRoot()), hparams: h, dataset: data });
    const store = new RunStore(tempRoot());
    const kill = () => ({
      onEpoch(e: { epoch: number }) {
        if (e.epoch === 4) throw new Error('killed');
      },
    });
    assert.throws(() => runDst({ store, hparams: h, dataset: data, callbacks: kill }), /killed/);
    const resumed: DstResult = runDst({ store, hparams: h, dataset: data });
    assert.equal(resumed.cached, false);
    assert.equal(resumed.steps, reference.steps);
    assert.equal(resumed.testLoss, reference.testLoss, method);
    assert.deepEqual(resumed.densities, reference.densities);
    const a = readFileSync(join(reference.runDir, 'weights.bin'));
    const b = readFileSync(join(resumed.runDir, 'weights.bin'));
    assert.ok(a.equals(b), `${method}: weights and masks identical`);
    store.close();
  }
});

test('sprig dst --json gives testAccuracy, densities in model order and flops; --methods/--seeds gives a table', () => {
  const root = tempRoot();
  const args = [
    'dst',
    '--dataset',
    'synthetic',
    '--model',
    'mlp_32_16',
    '--train-steps',
    '2ep',
    '--batch-size',
    '64',
    '--delta-t',
    '4',
    '--root',
    root,
    '--quiet',
  ];
  const r = sprigJson<{
    testAccuracy: number;
    densities: Record<string, number>;
    flops: Record<string, number>;
    runId: string;
    runDir: string;
  }>([...args, '--method', 'rigl', '--sparsity', '0.8', '--t-end', '0.5']);
  assert.ok(r.testAccuracy >= 0 && r.testAccuracy <= 1);
  assert.deepEqual(Object.keys(r.densities), ['fc1.weight', 'fc2.weight', 'fc.weight']);
  assert.deepEqual(Object.keys(r.flops), [
    'trainingPerStep',
    'trainingPerStepFraction',
    'trainingFraction',
    'inference',
    'inferenceFraction',
  ]);
  assert.match(r.runId, /^dst_/);
  const text = sprig([...args, '--method', 'rigl', '--sparsity', '0.8', '--t-end', '0.5']);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /stored result[\s\S]*FLOPs: training[\s\S]*fc1.weight\s+64×32/);
  const t = sprigJson<{ rows: { method: string; n: number; testAccuracy: { mean: number; std: number } }[] }>(
    [...args, '--methods', 'static,set', '--seeds', '0,1'],
  );
  assert.deepEqual(
    t.rows.map((x) => [x.method, x.n]),
    [
      ['static', 2],
      ['set', 2],
    ],
  );
  const bad = sprig([...args, '--method', 'rigl', '--delta-t', '0']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /ΔT \(deltaT\) = 0/);
});

test('sprig flagship --json is keyed by method: dense, gmp, static, set, rigl, lottery at 90 % sparsity', () => {
  const r = sprigJson<
    Record<
      string,
      { testAccuracy: number; sparsity: number; wallSeconds: number; flops: { trainingFraction: number } }
    >
  >([
    'flagship',
    '--dataset',
    'synthetic',
    '--model',
    'mlp_32_16',
    '--train-steps',
    '2ep',
    '--batch-size',
    '64',
    '--root',
    tempRoot(),
    '--quiet',
  ]);
  assert.deepEqual(Object.keys(r), ['dense', 'gmp', 'static', 'set', 'rigl', 'lottery']);
  assert.equal(r.dense!.flops.trainingFraction, 1);
  // the lottery row is the ticket's retraining (finding it is the dense row's training)
  assert.ok(Math.abs(r.lottery!.flops.trainingFraction - 0.1) < 0.01, `${r.lottery!.flops.trainingFraction}`);
  for (const m of Object.keys(r)) assert.ok(r[m]!.wallSeconds > 0, `${m} wall ${r[m]!.wallSeconds}`);
  for (const m of ['static', 'set', 'rigl', 'lottery'])
    assert.ok(Math.abs(r[m]!.sparsity - 0.9) < 0.01, `${m} ${r[m]!.sparsity}`);
});

test("RigL's M× multiplies training steps, LR milestones and T_end", () => {
  const base = { ...training, lrSchedule: 'multistep', milestones: ['2ep', '3ep'] };
  const one = planDst(hp({ method: 'rigl', tEnd: '2ep' }, { training: base }), data);
  const two = planDst(hp({ method: 'rigl', tEnd: '2ep', multiplier: 2 }, { training: base }), data);
  assert.deepEqual([one.totalSteps, one.schedule!.tEnd, one.options.lr.milestones], [32, 16, [16, 24]]);
  assert.deepEqual([two.totalSteps, two.schedule!.tEnd, two.options.lr.milestones], [64, 32, [32, 48]]);
  assert.equal(
    planDst(hp({ method: 'rigl', multiplier: 2 }), data).schedule!.tEnd,
    48,
    'a fractional T_end follows the longer run',
  );
  assert.notEqual(one.runId, two.runId);
});

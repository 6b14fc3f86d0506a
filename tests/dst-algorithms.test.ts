import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParamSpec } from '../src/models/types.js';
import type { StepContext } from '../src/training/loop.js';
import { Sgd } from '../src/training/optimizers.js';
import { Rng } from '../src/util/rng.js';
import { countActive, dropFraction, randomMasks } from '../src/sparsity/index.js';
import {
  GmpUpdater,
  RiglUpdater,
  SetUpdater,
  SnfsUpdater,
  SnipUpdater,
  methodDef,
  methodNames,
  type UpdaterConfig,
} from '../src/algorithms/index.js';

const spec = (name: string, shape: number[], extra: Partial<ParamSpec> = {}): ParamSpec => ({
  name,
  shape,
  kind: 'dense',
  prunable: true,
  isOutput: false,
  fanIn: shape[0]!,
  fanOut: shape[1]!,
  usesPerExample: 1,
  ...extra,
});
// two sparse layers and one kept dense (density 1): updaters must never touch the dense one
const specs = [spec('a', [10, 10]), spec('b', [8, 5]), spec('c', [5, 3], { isOutput: true })];
const densities = new Map([
  ['a', 0.3],
  ['b', 0.5],
  ['c', 1],
]);

function context(step: number, masks: Map<string, Float32Array>, seed = 1) {
  const rng = new Rng(seed);
  const weights = new Map(
    specs.map((s) => [s.name, Float32Array.from({ length: s.shape[0]! * s.shape[1]! }, () => rng.normal())]),
  );
  for (const [n, m] of masks) weights.get(n)!.forEach((_, i, w) => (w[i] = m[i] ? w[i]! : 0));
  const grads = new Map(
    specs.map((s) => [s.name, Float32Array.from({ length: s.shape[0]! * s.shape[1]! }, () => rng.normal())]),
  );
  const optimizer = new Sgd({ momentum: 0.9, nesterov: false, weightDecay: 0 });
  // non-zero momentum everywhere, so a reset is visible
  for (const [n, w] of weights)
    optimizer.update(
      n,
      w.slice(),
      Float32Array.from(w, () => 1),
      0.1,
    );
  const ctx: StepContext = {
    step,
    totalSteps: 400,
    lr: 0.1,
    weights,
    grads,
    optimizer,
    batch: { x: new Float32Array(), y: new Int32Array(), n: 0 },
    rng,
    gradients: () => grads,
  };
  return ctx;
}

const config = (masks: Map<string, Float32Array>, extra: Partial<UpdaterConfig> = {}): UpdaterConfig => ({
  specs,
  masks,
  densities,
  schedule: { dropFraction: 0.3, deltaT: 100, tEnd: 300, decay: 'cosine' },
  ...extra,
});

test('cosine drop fraction as wired: α/2·(1 + cos(πt/T_end)) and k = round(f·active) per layer', () => {
  const s = { dropFraction: 0.3, deltaT: 100, tEnd: 300 };
  assert.ok(Math.abs(dropFraction(s, 0) - 0.3) < 1e-12);
  assert.ok(Math.abs(dropFraction(s, 100) - 0.15 * (1 + Math.cos(Math.PI / 3))) < 1e-12); // 0.225
  assert.ok(Math.abs(dropFraction(s, 150) - 0.15) < 1e-12);
  assert.ok(Math.abs(dropFraction(s, 300)) < 1e-12);
  const masks = randomMasks(specs, densities, new Rng(3));
  const u = new RiglUpdater(config(masks));
  const ctx = context(100, masks);
  const r = u.update(ctx, dropFraction(s, 100));
  assert.equal(r.k.get('a'), Math.round(0.225 * 30)); // 7
  assert.equal(r.k.get('b'), Math.round(0.225 * 20)); // 5 (4.5 rounds up)
  assert.equal(r.k.has('c'), false, 'a dense layer is not updated');
});

for (const [name, make] of [
  ['rigl', (c: UpdaterConfig) => new RiglUpdater(c)],
  ['set', (c: UpdaterConfig) => new SetUpdater(c)],
  ['snfs', (c: UpdaterConfig) => new SnfsUpdater(c)],
] as const) {
  test(`${name}: active count per layer exactly constant over updates; regrown weights are 0 with reset momentum`, () => {
    const masks = randomMasks(specs, densities, new Rng(5));
    const before = new Map([...masks].map(([n, m]) => [n, countActive(m)]));
    const u = make(config(masks));
    let changed = 0;
    for (const step of [1, 100, 200, 300, 301]) {
      const ctx = context(step, masks, step);
      const old = new Map([...masks].map(([n, m]) => [n, m.slice()]));
      const replaced = u.beforeStep(ctx);
      assert.equal(
        replaced,
        step % 100 === 0 && step <= 300,
        `step ${step} replaces the optimizer step only on update steps`,
      );
      for (const [n, m] of masks) {
        assert.equal(countActive(m), before.get(n), `${name} layer ${n} at step ${step}`);
        const w = ctx.weights.get(n)!;
        const v = ctx.optimizer.state().buffers.get(`v/${n}`)!;
        for (let i = 0; i < m.length; i++) {
          if (m[i] === 0) assert.equal(w[i], 0, 'inactive weights are zero');
          if (m[i] === 1 && old.get(n)![i] === 0) {
            changed++;
            assert.equal(w[i], 0, 'a regrown weight starts at zero');
            assert.equal(v[i], 0, 'a regrown weight has fresh momentum');
          }
        }
      }
      assert.deepEqual(masks.get('c'), old.get('c'));
    }
    assert.ok(changed > 0, 'the masks did change');
  });
}

test('rigl grows where |dense gradient| is largest', () => {
  const masks = randomMasks(specs, densities, new Rng(7));
  const ctx = context(100, masks);
  const g = ctx.grads.get('a')!;
  const old = masks.get('a')!.slice();
  const r = new RiglUpdater(config(masks)).update(ctx, 0.3);
  const grown = r.grown.get('a')!;
  // every grown position beats every candidate left inactive (candidates = inactive before the drop ∪ dropped)
  const minGrown = Math.min(...grown.map((i) => Math.abs(g[i]!)));
  const m = masks.get('a')!;
  for (let i = 0; i < m.length; i++) if (m[i] === 0 && old[i] === 0) assert.ok(Math.abs(g[i]!) <= minGrown);
});

test('set grows at random: the grown connections follow the rng, not the gradient', () => {
  const start = randomMasks(specs, densities, new Rng(7));
  const grow = (gradSign: number, rngSeed: number) => {
    const masks = new Map([...start].map(([n, m]) => [n, m.slice()]));
    const ctx = context(100, masks);
    for (const g of ctx.grads.values()) g.forEach((x, i) => (g[i] = gradSign * x * (i + 1)));
    return [
      ...new SetUpdater(config(masks)).update({ ...ctx, rng: new Rng(rngSeed) }, 0.3).grown.get('a')!,
    ].sort((a, b) => a - b);
  };
  const base = grow(1, 11);
  assert.ok(base.length > 0);
  assert.deepEqual(grow(-1, 11), base, 'other gradients, same rng: the same connections grow');
  assert.notDeepEqual(grow(1, 12), base, 'another rng: other connections grow');
  // RigL from the same state grows the top-|g| connections; SET's choice is a different set
  const masks = new Map([...start].map(([n, m]) => [n, m.slice()]));
  const ctx = context(100, masks);
  for (const g of ctx.grads.values()) g.forEach((x, i) => (g[i] = x * (i + 1)));
  const rigl = [...new RiglUpdater(config(masks)).update({ ...ctx, rng: new Rng(11) }, 0.3).grown.get('a')!];
  assert.notDeepEqual(
    rigl.sort((a, b) => a - b),
    base,
  );
});

test('snfs keeps an EMA (momentum 0.9) of dense gradients every step, and it is in the checkpoint state', () => {
  const masks = randomMasks(specs, densities, new Rng(9));
  const u = new SnfsUpdater(config(masks));
  const c1 = context(1, masks, 1);
  u.beforeStep(c1);
  const c2 = context(2, masks, 2);
  u.beforeStep(c2);
  const ema = u.state().buffers.get('ema/a')!;
  for (const i of [0, 17, 99])
    assert.ok(Math.abs(ema[i]! - (0.9 * 0.1 * c1.grads.get('a')![i]! + 0.1 * c2.grads.get('a')![i]!)) < 1e-6);
  const v = new SnfsUpdater(config(randomMasks(specs, densities, new Rng(9))));
  v.load(u.state());
  assert.deepEqual(v.state().buffers.get('ema/b'), u.state().buffers.get('ema/b'));
});

test("a method's own setting lives in its params: snfs picks snfsMomentum out of the dst group", () => {
  const def = methodDef('snfs');
  assert.deepEqual(def.params?.parse({}), { snfsMomentum: 0.9 }, 'the default, written once');
  assert.ok(def.fields.includes('snfsMomentum'), 'it enters the run id');
  const masks = randomMasks(specs, densities, new Rng(9));
  // The dst group carries every field; the method reads its own.
  const u = def.create(config(masks), { method: 'snfs', sparsity: 0.9, snfsMomentum: 0.5 }) as SnfsUpdater;
  const c = context(1, masks, 1);
  u.beforeStep(c);
  const ema = u.state().buffers.get('ema/a')!;
  for (const i of [0, 17, 99]) assert.ok(Math.abs(ema[i]! - 0.5 * c.grads.get('a')![i]!) < 1e-6);
  assert.throws(() => def.create(config(masks), { snfsMomentum: 1 }), /snfsMomentum/);
});

test('magnitude_init keeps the highest |θ0| per layer at step 0, whatever the gradient', () => {
  const masks = new Map(specs.map((s) => [s.name, new Float32Array(s.shape[0]! * s.shape[1]!).fill(1)]));
  const u = methodDef('magnitude_init').create(config(masks))!;
  const ctx = context(0, masks);
  const w0 = ctx.weights.get('a')!.map(Math.abs);
  u.beforeStep!(ctx);
  const m = masks.get('a')!;
  assert.equal(countActive(m), 30);
  assert.equal(countActive(masks.get('c')!), 15, 'a dense layer stays dense');
  const minKept = Math.min(...[...w0].filter((_, i) => m[i] === 1));
  for (let i = 0; i < m.length; i++) if (m[i] === 0) assert.ok(w0[i]! <= minKept);
  // SNIP from the same state keeps another set: the score, not the plumbing, differs
  const snipMasks = new Map(specs.map((s) => [s.name, new Float32Array(s.shape[0]! * s.shape[1]!).fill(1)]));
  methodDef('snip').create(config(snipMasks))!.beforeStep!(context(0, snipMasks));
  assert.notDeepEqual(snipMasks.get('a'), m);
});

test('snip keeps the highest |θ·∇L| per layer at step 0, then never changes', () => {
  const masks = new Map(specs.map((s) => [s.name, new Float32Array(s.shape[0]! * s.shape[1]!).fill(1)]));
  const u = new SnipUpdater(config(masks));
  const ctx = context(0, masks);
  const w0 = ctx.weights.get('a')!.slice();
  assert.equal(u.beforeStep(ctx), false);
  const m = masks.get('a')!;
  assert.equal(countActive(m), 30);
  assert.equal(countActive(masks.get('c')!), 15);
  const sal = w0.map((x, i) => Math.abs(x * ctx.grads.get('a')![i]!));
  const minKept = Math.min(...[...sal].filter((_, i) => m[i] === 1));
  for (let i = 0; i < m.length; i++) if (m[i] === 0) assert.ok(sal[i]! <= minKept);
  const snapshot = m.slice();
  u.beforeStep(context(1, masks));
  assert.deepEqual(masks.get('a'), snapshot);
  assert.equal(u.state().scalars.snipDone, 1);
});

test('gmp prunes on its schedule to each layer’s own target and never regrows', () => {
  const masks = new Map(specs.map((s) => [s.name, new Float32Array(s.shape[0]! * s.shape[1]!).fill(1)]));
  const u = new GmpUpdater(config(masks, { gmp: { begin: 10, end: 30, frequency: 10, initialSparsity: 0 } }));
  const counts: number[] = [];
  for (let t = 0; t <= 40; t++) {
    const ctx = context(t, masks, t);
    assert.equal(u.beforeStep(ctx), false);
    counts.push(countActive(masks.get('a')!));
  }
  assert.equal(counts[9], 100, 'dense before t0');
  assert.equal(counts[10], 100, 's_i = 0 at t0');
  assert.equal(
    counts[20],
    Math.round(100 * (1 - 0.7 * (1 - 0.125))),
    's_t at the middle step: 0.7·(1 − 0.5³)',
  );
  assert.equal(counts[30], 30, 'the final sparsity at the end step');
  assert.equal(counts[40], 30);
  assert.equal(countActive(masks.get('c')!), 15, 'a dense layer stays dense');
  for (let t = 1; t < counts.length; t++) assert.ok(counts[t]! <= counts[t - 1]!);
});

test('the registry names every method and rejects unknown ones with the list', () => {
  for (const n of methodNames) assert.equal(methodDef(n).name, n);
  assert.throws(
    () => methodDef('rigl2'),
    (e: Error) =>
      /unknown sparse-training method 'rigl2'/.test(e.message) &&
      /static, snip, set, snfs, rigl, gmp/.test(e.message),
  );
});

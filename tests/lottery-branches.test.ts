import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, scoped } from '../src/engine/index.js';
import { RunStore } from '../src/store/store.js';
import { prepareLottery, runLottery, type LotteryOptions } from '../src/experiments/lottery.js';
import { basisReparam, coeffsOf } from '../src/experiments/lottery-basis.js';
import { loadWeights, type RunResult } from '../src/experiments/run.js';
import { setup } from '../src/experiments/setup.js';
import { trainHparamsSchema, validate } from '../src/experiments/hparams.js';
import { kdLoss } from '../src/training/losses.js';
import { denseMasks, deserialiseMasks, type Masks } from '../src/sparsity/mask.js';
import { makeBasis } from '../src/sparsity/bases.js';
import { Rng } from '../src/util/rng.js';
import { SprigError } from '../src/util/errors.js';

const HP = {
  dataset: { name: 'synthetic' },
  model: { name: 'mlp_32' },
  training: { trainSteps: '2ep', batchSize: 64, lr: 0.1, momentum: 0.9 },
};
const tmp = () => mkdtempSync(join(tmpdir(), 'sprig-lottery-'));
const masksOf = (dir: string) => deserialiseMasks(new Uint8Array(readFileSync(join(dir, 'masks.bin'))));
const resultOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunResult;
/** The one sub-directory of `dir` whose name starts with `prefix` (a branch's hashed directory). */
const branchDir = (dir: string, prefix: string) =>
  join(
    dir,
    readdirSync(dir).find((d) => d.startsWith(prefix))!,
  );

function run(root: string, pruning: object, plan: object, callbacks?: LotteryOptions['callbacks']) {
  const store = new RunStore(root);
  try {
    return runLottery({ store, hparams: { ...HP, pruning }, plan, callbacks });
  } finally {
    store.close();
  }
}

test('KD loss equals α·T²·KL(p_t ‖ p_s) + (1−α)·CE, KL summed over classes and averaged over the batch (batchmean)', () => {
  const zs = [
    [1.0, -0.5, 0.25],
    [0.3, 0.2, -1.2],
  ];
  const zt = [
    [2.0, 0.1, -0.3],
    [-0.4, 1.5, 0.0],
  ];
  const y = [0, 1];
  const [alpha, T] = [0.9, 5];
  const softmax = (z: number[]) => {
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };
  let kl = 0;
  let ce = 0;
  for (let i = 0; i < 2; i++) {
    const pt = softmax(zt[i]!.map((v) => v / T));
    const ps = softmax(zs[i]!.map((v) => v / T));
    for (let k = 0; k < 3; k++) kl += pt[k]! * Math.log(pt[k]! / ps[k]!);
    ce -= Math.log(softmax(zs[i]!)[y[i]!]!);
  }
  const want = alpha * T * T * (kl / 2) + (1 - alpha) * (ce / 2);
  const got = scoped(() => {
    const loss = kdLoss(() => tf.tensor2d(zt), alpha, T);
    return loss(tf.tensor2d(zs), tf.tensor1d(y, 'int32'), tf.zeros([2, 1, 1, 1])).dataSync()[0]!;
  });
  assert.ok(Math.abs(got - want) < 1e-5, `kd loss ${got}, hand-computed ${want}`);
});

test('B = identity: the basis chain has the canonical masks and the canonical trajectory, bit for bit', () => {
  const root = tmp();
  try {
    const r = run(root, { outputFraction: 0.1 }, { levels: 2, branches: ['basis:identity'] });
    for (const l of [1, 2]) {
      const main = join(r.runDir, 'replicate_0', `level_${l}`);
      const br = branchDir(main, 'basis_identity_');
      const [ma, mb] = [masksOf(main), masksOf(br)];
      for (const [n, m] of ma) assert.deepEqual([...mb.get(n)!], [...m], `level ${l} mask ${n}`);
      const [wa, wb] = [
        loadWeights(join(main, 'weights.bin')).weights,
        loadWeights(join(br, 'weights.bin')).weights,
      ];
      for (const [n, w] of wa) assert.deepEqual([...wb.get(n)!], [...w], `level ${l} weights ${n}`);
      assert.deepEqual(
        resultOf(br).history.map((h) => [h.trainLoss, h.testLoss]),
        resultOf(main).history.map((h) => [h.trainLoss, h.testLoss]),
      );
      assert.equal(r.levels[l]!.branches['basis:identity']!.testAccuracy, r.levels[l]!.testAccuracy);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('DCT basis: θ = B(m ⊙ c) in TF.js inverts c = Bᵀθ; the DCT chain keeps the canonical counts and zero pruned coefficients', () => {
  const s = setup(validate(trainHparamsSchema, { ...HP, model: { name: 'mlp_20_12' } }));
  const specs = s.model.specs;
  const theta = s.model.init(new Rng(3));
  for (const name of ['dct', 'orthogonal'] as const) {
    const basis = makeBasis(name, { block: 8 });
    const c = coeffsOf(basis, specs, theta);
    const rp = basisReparam(basis, specs, denseMasks(specs));
    const back = scoped(() => {
      const out = rp.reparam(
        Object.fromEntries(specs.map((sp) => [sp.name, tf.tensor(c.get(sp.name)!, sp.shape)])),
      );
      return new Map(Object.entries(out).map(([n, t]) => [n, t.dataSync() as Float32Array]));
    });
    rp.dispose();
    for (const [n, v] of theta)
      for (let i = 0; i < v.length; i++)
        assert.ok(Math.abs(back.get(n)![i]! - v[i]!) < 1e-5, `${name} ${n}[${i}]`);
  }

  const root = tmp();
  try {
    const r = run(root, {}, { levels: 2, branches: ['basis:dct'] });
    const basis = makeBasis('dct', { block: 8 });
    const specs32 = setup(validate(trainHparamsSchema, HP)).model.specs;
    for (const l of [1, 2]) {
      const main = join(r.runDir, 'replicate_0', `level_${l}`);
      const br = branchDir(main, 'basis_dct_');
      const [ma, mb]: Masks[] = [masksOf(main), masksOf(br)];
      const c = coeffsOf(basis, specs32, loadWeights(join(br, 'weights.bin')).weights);
      for (const [n, m] of ma) {
        const count = (x: Float32Array) => x.reduce((a, v) => a + v, 0);
        assert.equal(count(mb.get(n)!), count(m), `level ${l} ${n}: same number of retained coefficients`);
      }
      assert.equal(r.levels[l]!.branches['basis:dct']!.remaining, r.levels[l]!.remaining);
      // the trained θ has no energy on pruned coefficients
      for (const [n, m] of mb)
        for (let i = 0; i < m.length; i++)
          if (m[i] === 0) assert.ok(Math.abs(c.get(n)![i]!) < 1e-5, `${n} coefficient ${i}: ${c.get(n)![i]}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('branches: random_mask keeps per-layer counts, reinit keeps the mask; KD with α = 0 is the plain ticket', () => {
  const root = tmp();
  try {
    const r = run(root, {}, { levels: 1, branches: ['reinit', 'random_mask', 'kd'], kdAlpha: 0 });
    const main = join(r.runDir, 'replicate_0', 'level_1');
    const m = masksOf(main);
    const rm = masksOf(branchDir(main, 'random_mask_'));
    const ri = masksOf(branchDir(main, 'reinit_'));
    for (const [n, v] of m) {
      const count = (x: Float32Array) => x.reduce((a, b) => a + b, 0);
      assert.equal(count(rm.get(n)!), count(v), n);
      assert.notDeepEqual([...rm.get(n)!], [...v], n);
      assert.deepEqual([...ri.get(n)!], [...v], n);
    }
    const kd = loadWeights(join(branchDir(main, 'kd_'), 'weights.bin')).weights;
    const w = loadWeights(join(main, 'weights.bin')).weights;
    for (const [n, v] of w) {
      const d = Math.max(...v.map((x, i) => Math.abs(x - kd.get(n)![i]!)));
      assert.ok(d < 1e-5, `${n}: KD(α=0) differs from the ticket by ${d}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('bad input is refused before anything trains', () => {
  const root = tmp();
  const store = new RunStore(root);
  try {
    const prep = (pruning: object, plan: object, hp: object = HP) =>
      prepareLottery({ store, hparams: { ...hp, pruning }, plan });
    assert.throws(
      () => prep({ pruneFraction: 1.5 }, {}),
      (e: Error) => e instanceof SprigError && /pruneFraction/.test(e.message),
    );
    assert.throws(
      () => prep({ pruneFraction: 0 }, {}),
      (e: Error) => e instanceof SprigError && /pruneFraction/.test(e.message),
    );
    assert.throws(
      () => prep({ pruneFraction: 0.9 }, { levels: 5 }),
      (e: Error) => e instanceof SprigError && /no weights/.test(e.message),
    );
    assert.throws(
      () => prep({ rewind: '100ep' }, {}),
      (e: Error) => e instanceof SprigError && /past the end of training/.test(e.message),
    );
    assert.throws(
      () => prep({}, { branches: ['kd_rewind'] }),
      (e: Error) => e instanceof SprigError && /kd_rewind/.test(e.message),
    );
    assert.throws(
      () => prep({}, { branches: ['kd'], branchesOnly: true }),
      (e: Error) => e instanceof SprigError && /trained dense level 0/.test(e.message),
    );
    assert.throws(
      () => prep({}, { branches: ['basis:dct'], basisBlock: 5, basisRemainder: 'error' }),
      (e: Error) => e instanceof SprigError && /does not fit/.test(e.message),
    );
    assert.throws(
      () => prep({}, { branches: ['nope'] }),
      (e: Error) => e instanceof SprigError && /unknown branch/.test(e.message),
    );
    assert.deepEqual(
      readdirSync(root)
        .filter((d) => d.startsWith('lottery_'))
        .flatMap((d) => readdirSync(join(root, d))),
      [],
      'nothing was trained',
    );
  } finally {
    store.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test("the rewind branch is weight rewinding, the KD ticket's baseline: CE from θ_k on the ticket's mask, bit for bit the ticket of a run rewound to θ_k", () => {
  const root = tmp();
  try {
    const plan = { levels: 0, oneShot: [0.8], branches: ['rewind', 'kd_rewind'], kdRewind: '3it' };
    const fromInit = run(root, { pruneScope: 'global' }, plan);
    const rewound = run(root, { pruneScope: 'global', rewind: '3it' }, { levels: 0, oneShot: [0.8] });
    const [branch, ticket] = [fromInit.oneShot[0]!.branches.rewind!, rewound.oneShot[0]!];
    // the same mask (one-shot pruning of the same dense net) and the same start and loss
    assert.deepEqual(branch.maskSha256, ticket.maskSha256);
    assert.deepEqual(branch.maskSha256, fromInit.oneShot[0]!.maskSha256);
    assert.deepEqual(branch.maskSha256, fromInit.oneShot[0]!.branches.kd_rewind!.maskSha256);
    assert.deepEqual(branch.replicates, ticket.replicates);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../src/store/store.js';
import { runLottery, type LotteryOptions } from '../src/experiments/lottery.js';
import { loadWeights } from '../src/experiments/run.js';
import { setup } from '../src/experiments/setup.js';
import { trainHparamsSchema, validate } from '../src/experiments/hparams.js';
import { deserialiseMasks } from '../src/sparsity/mask.js';
import { train, type Callbacks } from '../src/training/loop.js';
import { Rng } from '../src/util/rng.js';

const HP = {
  dataset: { name: 'synthetic' },
  model: { name: 'mlp_32' },
  training: { trainSteps: '2ep', batchSize: 64, lr: 0.1, momentum: 0.9 },
};

const tmp = () => mkdtempSync(join(tmpdir(), 'sprig-lottery-'));
const masksOf = (dir: string) => deserialiseMasks(new Uint8Array(readFileSync(join(dir, 'masks.bin'))));

/** Records the weights at each run's first step (onLog at startStep) and which runs trained. */
function recorder() {
  const starts = new Map<string, { step: number; weights: Map<string, Float32Array> }>();
  const trained = new Set<string>();
  const callbacks = (label: string): Callbacks => ({
    onLog: (step, w) => starts.set(label, { step, weights: new Map([...w].map(([n, v]) => [n, v.slice()])) }),
    onStep: () => trained.add(label),
  });
  return { starts, trained, callbacks };
}

function run(root: string, pruning: object, plan: object, callbacks?: LotteryOptions['callbacks']) {
  const store = new RunStore(root);
  try {
    return runLottery({ store, hparams: { ...HP, pruning }, plan, callbacks });
  } finally {
    store.close();
  }
}

test('density is (1−p)^L per layer after L levels (output at p too); pruned weights stay zero after training', () => {
  const root = tmp();
  try {
    const r = run(root, { pruneFraction: 0.3, outputFraction: 0.3 }, { levels: 3 });
    assert.equal(r.levels.length, 4);
    for (const l of r.levels) {
      const dir = join(r.runDir, 'replicate_0', `level_${l.level}`);
      const masks = masksOf(dir);
      const w = loadWeights(join(dir, 'weights.bin')).weights;
      for (const [name, m] of masks) {
        const active = m.reduce((a, v) => a + v, 0);
        // round() at each level: within L weights of N·(1−p)^L
        assert.ok(
          Math.abs(active - m.length * 0.7 ** l.level) <= l.level + 0.5,
          `${name} level ${l.level}: ${active} of ${m.length}`,
        );
        const wt = w.get(name)!;
        for (let i = 0; i < m.length; i++)
          if (m[i] === 0) assert.ok(wt[i] === 0, `${name}[${i}] pruned but ${wt[i]}`);
      }
      assert.ok(Math.abs(l.remaining - 0.7 ** l.level) < 0.01, `remaining ${l.remaining}`);
    }
    // global scope: the pool total follows (1−p)^L exactly up to rounding
    const g = run(root, { pruneFraction: 0.5, pruneScope: 'global', outputFraction: 0.5 }, { levels: 2 });
    assert.ok(Math.abs(g.levels[2]!.remaining - 0.25) < 0.002, `global remaining ${g.levels[2]!.remaining}`);
    const curve = JSON.parse(readFileSync(join(g.runDir, 'curve.json'), 'utf8'));
    assert.equal(curve.levels.length, 3);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('weight rewinding: θ_k saved at level 0 equals k steps of training, and level L starts from θ_k ⊙ m at step k', () => {
  const root = tmp();
  try {
    const rec = recorder();
    const r = run(root, { rewind: '5it' }, { levels: 1 }, rec.callbacks);
    const rep = join(r.runDir, 'replicate_0');
    const thetaK = loadWeights(join(rep, 'rewind', 'step_5.bin')).weights;
    // an independent run of exactly 5 steps from the same seed
    const s = setup(validate(trainHparamsSchema, HP));
    const ref = train(s.options({ totalSteps: 5 })).weights;
    for (const [n, v] of ref) assert.deepEqual([...thetaK.get(n)!], [...v], n);
    const start = rec.starts.get('r0 L1')!;
    assert.equal(start.step, 5);
    const m = masksOf(join(rep, 'level_1'));
    for (const [n, v] of start.weights) {
      const mk = m.get(n);
      const want = thetaK.get(n)!.map((x, i) => (mk ? x * mk[i]! : x));
      assert.deepEqual([...v], [...want], n);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('rewinding to init starts from θ0 ⊙ m; LR rewinding from the previous level’s final weights ⊙ m', () => {
  const root = tmp();
  try {
    const rec = recorder();
    const r = run(root, {}, { levels: 1 }, rec.callbacks);
    const s = setup(validate(trainHparamsSchema, HP));
    const theta0 = s.model.init(new Rng(0));
    const m = masksOf(join(r.runDir, 'replicate_0', 'level_1'));
    const start = rec.starts.get('r0 L1')!;
    assert.equal(start.step, 0);
    for (const [n, v] of start.weights)
      assert.deepEqual([...v], [...theta0.get(n)!.map((x, i) => (m.get(n) ? x * m.get(n)![i]! : x))], n);

    const rec2 = recorder();
    const lr = run(root, { rewind: 'lr' }, { levels: 1 }, rec2.callbacks);
    const final0 = loadWeights(join(lr.runDir, 'replicate_0', 'level_0', 'weights.bin')).weights;
    const m2 = masksOf(join(lr.runDir, 'replicate_0', 'level_1'));
    const st2 = rec2.starts.get('r0 L1')!;
    assert.equal(st2.step, 0);
    for (const [n, v] of st2.weights)
      assert.deepEqual([...v], [...final0.get(n)!.map((x, i) => (m2.get(n) ? x * m2.get(n)![i]! : x))], n);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('finished levels are skipped; a run killed inside a level resumes and ends where an uninterrupted one ends', () => {
  const a = tmp();
  const b = tmp();
  try {
    const full = run(a, {}, { levels: 2, replicates: 2 });
    // same experiment, killed during level 2 of replicate 1 (after its first epoch's checkpoint)
    const kill = (label: string): Callbacks => ({
      onStep: (step) => {
        if (label === 'r1 L2' && step === 12) throw new Error('killed');
      },
    });
    run(b, {}, { levels: 1, replicates: 2 });
    assert.throws(() => run(b, {}, { levels: 2, replicates: 2 }, kill), /killed/);
    assert.ok(existsSync(join(b, full.runId, 'replicate_1', 'level_2', 'checkpoint.bin')));
    const rec = recorder();
    const resumed = run(b, {}, { levels: 2, replicates: 2 }, rec.callbacks);
    assert.deepEqual([...rec.trained].sort(), ['r1 L2']);
    assert.equal(resumed.runId, full.runId);
    assert.deepEqual(
      resumed.levels.map((l) => l.replicates),
      full.levels.map((l) => l.replicates),
    );
    const wa = loadWeights(join(a, full.runId, 'replicate_1', 'level_2', 'weights.bin')).weights;
    const wb = loadWeights(join(b, full.runId, 'replicate_1', 'level_2', 'weights.bin')).weights;
    for (const [n, v] of wa) assert.deepEqual([...wb.get(n)!], [...v], n);
    // everything finished: nothing trains
    const rec2 = recorder();
    run(b, {}, { levels: 2, replicates: 2 }, rec2.callbacks);
    assert.equal(rec2.trained.size, 0);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

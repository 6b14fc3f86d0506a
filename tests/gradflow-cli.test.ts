import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sprig, sprigJson, tempRoot } from './helpers.js';
import type { GradflowResult } from '../src/experiments/gradflow.js';
import { loadWeights, WEIGHTS_FILE } from '../src/experiments/run.js';
import { serialiseMasks } from '../src/sparsity/mask.js';

const ARGS = [
  'gradflow',
  '--dataset',
  'synthetic',
  '--model',
  'mlp_16',
  '--sparsity',
  '0.8',
  '--train-steps',
  '30it',
  '--batch-size',
  '16',
  '--log-every',
  '10it',
  '--grad-batch',
  '64',
  '--delta-t',
  '10',
  '--gmp-frequency',
  '5',
  '--interpolation-points',
  '5',
];

test('sprig gradflow --json: gradient-norm curves per run and the landscape measures, cached on re-run', () => {
  const root = tempRoot();
  const r = sprigJson<GradflowResult>([...ARGS, '--root', root]);
  assert.deepEqual(
    r.runs.map((x) => x.run),
    ['scratch', 'scratch+', 'random_mask', 'rigl', 'rigl+', 'lottery', 'pruned'],
  );
  for (const x of r.runs) {
    assert.deepEqual(x.gradNorm.steps, [0, 10, 20, 30]);
    assert.ok(x.gradNorm.total.every((v) => v > 0 && Number.isFinite(v)));
    assert.deepEqual(
      Object.keys(x.gradNorm.layers).sort(),
      ['fc.bias', 'fc.weight', 'fc1.bias', 'fc1.weight'].sort(),
    );
    assert.equal(x.gradNormAtInit, x.gradNorm.total[0]);
    assert.ok(Math.abs(x.sparsity - 0.8) < 0.01, `${x.run} sparsity ${x.sparsity}`);
    assert.equal(x.interpolationToPruned.alphas.length, 5);
    assert.ok(x.distanceToInit > 0);
    assert.ok(existsSync(join(x.runDir, 'gradnorm.json')));
  }
  const by = Object.fromEntries(r.runs.map((x) => [x.run, x]));
  // same random mask and fresh init: RigL equals random_mask until its first mask update
  assert.equal(by['rigl']!.gradNorm.total[0], by['random_mask']!.gradNorm.total[0]);
  assert.equal(by['pruned']!.distanceToPruned, 0);
  assert.equal(by['pruned']!.disagreementWithPruned, 0);
  // the lottery ticket starts at θ0 ⊙ m: its start is the pruned solution's own init, masked
  assert.ok(by['lottery']!.initDistanceToPruned < by['pruned']!.distanceToInit);
  assert.equal(r.disagreement.names.length, 7);
  assert.ok(r.ensembleAccuracy > 0);
  // Where the masks change, for the gradient-norm figure: GMP from 25 % to 60 % of the 30 steps
  // every 5, RigL every ΔT = 10 up to T_end = 75 %.
  assert.deepEqual(r.updateSteps, { gmp: [8, 13, 18], rigl: [10, 20] });
  const again = sprigJson<GradflowResult>([...ARGS, '--root', root]);
  assert.ok(again.runs.every((x) => x.cached));
  assert.deepEqual(
    again.runs.map((x) => x.gradNorm.total),
    r.runs.map((x) => x.gradNorm.total),
  );
  assert.deepEqual(
    again.runs.map((x) => x.interpolationToPruned.barrier),
    r.runs.map((x) => x.interpolationToPruned.barrier),
  );
});

test("sprig gradflow: scratch trains the pruning solution's mask from a fresh init (rigl_tf2's scratch); random_mask a random one", () => {
  const root = tempRoot();
  const r = sprigJson<GradflowResult>([
    ...ARGS,
    '--runs',
    'scratch,random_mask,lottery,pruned',
    '--root',
    root,
  ]);
  const by = Object.fromEntries(r.runs.map((x) => [x.run, x]));
  const stored = (run: string) => serialiseMasks(loadWeights(join(by[run]!.runDir, WEIGHTS_FILE)).masks!);
  // the masks the runs trained with, read back from their stored weights
  assert.deepEqual(stored('scratch'), stored('pruned'));
  assert.deepEqual(stored('lottery'), stored('pruned'));
  assert.notDeepEqual(stored('random_mask'), stored('pruned'));
  assert.equal(by['scratch']!.maskSha256, by['pruned']!.maskSha256);
  assert.equal(by['lottery']!.maskSha256, by['pruned']!.maskSha256);
  assert.notEqual(by['random_mask']!.maskSha256, by['pruned']!.maskSha256);
  // the same mask, another start: scratch is not the lottery ticket
  assert.ok(by['scratch']!.initDistanceToPruned > by['lottery']!.initDistanceToPruned);
});

test('sprig gradflow: a subset of runs, the table, and a bad run name', () => {
  const root = tempRoot();
  const r = sprig([...ARGS, '--runs', 'scratch,lottery', '--root', root]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /lottery/);
  assert.match(r.stdout, /error barrier/);
  const bad = sprig([...ARGS, '--runs', 'scratch,nope', '--root', root]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /gradflow\.runs/);
});

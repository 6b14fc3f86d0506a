import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sprig, sprigJson, tempRoot } from './helpers.js';
import type { BootstrapResult } from '../src/experiments/bootstrap.js';

const ARGS = [
  'bootstrap',
  '--dataset',
  'synthetic',
  '--models',
  'mlp_32,mlp_8',
  '--n',
  '64',
  '--batch-size',
  '16',
  '--train-steps',
  '8it',
  '--log-every',
  '2it',
];

test('sprig bootstrap --json: curves of both worlds per model, the gap at the stopping time, cached on re-run', () => {
  const root = tempRoot();
  const r = sprigJson<BootstrapResult>([...ARGS, '--root', root]);
  assert.equal(r.models.length, 2);
  assert.equal(r.poolSize, 512 - 64);
  assert.equal(r.idealRepeats, false);
  for (const m of r.models) {
    for (const w of [m.real, m.ideal]) {
      assert.deepEqual(
        w.curve.map((p) => p.step),
        [0, 2, 4, 6, 8],
      );
      for (const p of w.curve)
        assert.ok(
          p.testSoftError >= 0 &&
            p.testSoftError <= 1 &&
            p.testError >= 0 &&
            p.testError <= 1 &&
            p.testLoss > 0,
        );
      assert.ok(existsSync(join(w.runDir, 'curve.json')));
    }
    assert.equal(m.ideal.curve[0]!.trainError, null); // nothing seen yet
    assert.equal(typeof m.real.curve[0]!.trainError, 'number');
    assert.deepEqual(m.curves.steps, [0, 2, 4, 6, 8]);
    assert.equal(m.curves.gap[0], 0); // same init in both worlds: same test error at step 0
    const at = m.atStop;
    assert.equal(at.step, m.stoppingStep ?? 8);
    assert.ok(Math.abs(m.gap - (at.real.testSoftError - at.ideal.testSoftError)) < 1e-12);
  }
  assert.ok(existsSync(join(r.runDir, 'bootstrap.json')));
  const again = sprigJson<BootstrapResult>([...ARGS, '--root', root]);
  assert.ok(again.models.every((m) => m.real.cached && m.ideal.cached));
  assert.deepEqual(
    again.models.map((m) => m.gap),
    r.models.map((m) => m.gap),
  );
  const human = sprig([...ARGS, '--root', root]);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /soft gap/);
});

test('sprig bootstrap refuses an Ideal World longer than its pool, and runs with --allow-repeats', () => {
  const root = tempRoot();
  const args = [
    'bootstrap',
    '--dataset',
    'synthetic',
    '--models',
    'mlp_8',
    '--n',
    '256',
    '--batch-size',
    '64',
    '--train-steps',
    '5it',
    '--root',
    root,
  ];
  const r = sprig(args);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /T may be at most 4 iterations/);
  const ok = sprigJson<BootstrapResult>([...args, '--allow-repeats', '--log-every', '5it']);
  assert.equal(ok.idealRepeats, true);
});

test('sprig bootstrap --source teacher draws unlimited fresh samples', () => {
  const root = tempRoot();
  const cfg = join(root, 'cfg.json');
  writeFileSync(cfg, JSON.stringify({ bootstrap: { teacherSide: 6, teacherClasses: 3, teacherTest: 128 } }));
  const r = sprigJson<BootstrapResult>([
    'bootstrap',
    '--source',
    'teacher',
    '--config',
    cfg,
    '--models',
    'mlp_16',
    '--n',
    '32',
    '--batch-size',
    '16',
    '--train-steps',
    '40it',
    '--log-every',
    '20it',
    '--root',
    root,
  ]);
  assert.equal(r.source, 'teacher');
  assert.equal(r.poolSize, null);
  assert.deepEqual(r.models[0]!.curves.steps, [0, 20, 40]);
  assert.ok(JSON.parse(readFileSync(join(r.runDir, 'bootstrap.json'), 'utf8')).models.length === 1);
});

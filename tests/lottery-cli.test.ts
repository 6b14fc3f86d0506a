import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../src/store/store.js';

const sprig = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, SPRIG_ROOT: '' },
  });

const COMMON = [
  'lottery',
  '--model',
  'mlp_32',
  '--dataset',
  'synthetic',
  '--train-steps',
  '2ep',
  '--batch-size',
  '64',
];

test('sprig lottery: an end-to-end 2-level run with --json, stored curve and metrics, then read back from the store', () => {
  const root = mkdtempSync(join(tmpdir(), 'sprig-lottery-cli-'));
  try {
    const args = [
      ...COMMON,
      '--root',
      root,
      '--levels',
      '2',
      '--output-fraction',
      '0.1',
      '--replicates',
      '2',
      '--branches',
      'reinit,random_mask',
      '--json',
    ];
    const r = sprig(args);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.match(out.runId, /^lottery_[0-9a-f]{16}$/);
    assert.equal(out.runDir, join(root, out.runId));
    assert.deepEqual(
      out.levels.map((l: { level: number }) => l.level),
      [0, 1, 2],
    );
    const [l0, l1, l2] = out.levels;
    assert.equal(l0.remaining, 1);
    assert.ok(l1.remaining < 1 && l2.remaining < l1.remaining);
    for (const l of out.levels) {
      assert.ok(l.testAccuracy > 0.5 && l.testAccuracy <= 1, `accuracy ${l.testAccuracy}`);
      assert.equal(l.replicates.length, 2);
      assert.ok(l.testAccuracyStd >= 0);
    }
    assert.deepEqual(Object.keys(l0.branches), []);
    assert.deepEqual(Object.keys(l2.branches).sort(), ['random_mask', 'reinit']);
    assert.ok(l2.branches.reinit.testAccuracy > 0 && l2.branches.reinit.remaining === l2.remaining);
    assert.ok(existsSync(join(out.runDir, 'curve.json')));
    assert.ok(existsSync(join(out.runDir, 'replicate_1', 'level_2', 'masks.bin')));
    const store = new RunStore(root);
    const m = store.index.metrics(out.runId).filter((x) => x.name === 'testAccuracy');
    assert.deepEqual(
      m.map((x) => x.step),
      [0, 1, 2],
    );
    assert.equal(store.index.get(out.runId)?.status, 'finished');
    store.close();

    // Re-running the same command trains nothing and prints the same result; the human table too.
    const again = sprig(args);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), out);
    const human = sprig(args.filter((a) => a !== '--json'));
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /level\s+remaining %\s+main\s+reinit\s+random_mask/);
    assert.doesNotMatch(human.stderr, /epoch \d+ it/, 'nothing trained again');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('sprig lottery: bad input exits 2 with a fix, before training', () => {
  const root = mkdtempSync(join(tmpdir(), 'sprig-lottery-cli-'));
  try {
    const r = sprig([...COMMON, '--root', root, '--prune-fraction', '1.2']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /pruneFraction/);
    const k = sprig([...COMMON, '--root', root, '--rewind', '3ep']);
    assert.equal(k.status, 2);
    assert.match(k.stderr, /past the end of training[\s\S]*fix:/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/**
 * Kill-and-resume of a dynamic-sparse run gives the uninterrupted run's bytes; two identical
 * lottery commands started together leave one experiment, each level trained once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RunStore } from '../src/store/store.js';
import { killWhen, sprigJson, start, tempRoot } from './helpers.js';

// The CLI's own default thread count, not the test runner's one thread.
const DEFAULT_ENV = { NODE_TEST_CONTEXT: '', SPRIG_THREADS: '' };

const DST = [
  'dst',
  '--dataset',
  'synthetic',
  '--model',
  'mlp_32_16',
  '--train-steps',
  '40ep',
  '--batch-size',
  '64',
  '--delta-t', // 320 steps: masks change 40 times before t-end
  '4',
  '--sparsity',
  '0.8',
  '--quiet',
];

interface DstResult {
  runDir: string;
  testAccuracy: number;
  testLoss: number;
  cached: boolean;
}

function checkpointTime(root: string): number | undefined {
  const d = readdirSync(root).find((n) => n.startsWith('dst_'));
  const ck = d && join(root, d, 'checkpoint.bin');
  return ck && existsSync(ck) ? statSync(ck).mtimeMs : undefined;
}

/** SIGKILLs a run once it has written a checkpoint newer than `after`, a random 0–150 ms later. */
async function killAfterCheckpoint(args: string[], root: string, after = 0) {
  let seen: number | undefined;
  const delay = Math.random() * 150;
  return killWhen(
    args,
    () => {
      const t = checkpointTime(root);
      if (t !== undefined && t > after) seen ??= performance.now();
      return seen !== undefined && performance.now() - seen >= delay;
    },
    DEFAULT_ENV,
  );
}

for (const method of ['rigl', 'set']) {
  test(`dst --method ${method}: killed twice at random points and resumed, the same bytes`, async () => {
    const args = [...DST, '--method', method];
    const reference = sprigJson<DstResult>([...args, '--root', tempRoot()], DEFAULT_ENV);
    const root = tempRoot();
    assert.ok(await killAfterCheckpoint([...args, '--root', root], root), 'killed before the end');
    const first = checkpointTime(root);
    assert.ok(first, 'a checkpoint survives the kill');
    // The second kill lands after the resumed run has written a checkpoint of its own.
    await killAfterCheckpoint([...args, '--root', root], root, first);
    const resumed = sprigJson<DstResult>([...args, '--root', root], DEFAULT_ENV);
    assert.equal(resumed.cached, false, 'the last run resumed rather than finding a stored result');
    assert.equal(resumed.testAccuracy, reference.testAccuracy);
    assert.equal(resumed.testLoss, reference.testLoss);
    const a = readFileSync(join(reference.runDir, 'weights.bin'));
    const b = readFileSync(join(resumed.runDir, 'weights.bin'));
    assert.ok(a.equals(b), `${method}: weights and masks differ after kill and resume`);
    assert.ok(!existsSync(join(resumed.runDir, 'checkpoint.bin')), 'checkpoint removed at the end');
  });
}

const LOTTERY = [
  'lottery',
  '--model',
  'mlp_32',
  '--dataset',
  'synthetic',
  '--train-steps',
  '40ep',
  '--batch-size',
  '64',
  '--levels',
  '2',
  '--quiet',
  '--json',
];

interface LotteryResult {
  runId: string;
  runDir: string;
  levels: { level: number; remaining: number; testAccuracy: number }[];
}

/** The inode of every stored weights.bin under root, by path. */
function weightInodes(root: string): Map<string, number> {
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('weights.bin'),
  );
  const out = new Map<string, number>();
  for (const f of files) {
    try {
      out.set(f, statSync(join(root, f)).ino);
    } catch {
      // renamed over between the listing and the stat; the next poll sees the new one
    }
  }
  return out;
}

test('two identical lottery commands started together: one experiment, every level trained once', async () => {
  const root = tempRoot();
  const args = [...LOTTERY, '--root', root];
  const both = Promise.all([start(args).done, start(args).done]);
  // A level trained twice would replace its weights.bin (written by rename, so a new inode): note
  // the first inode seen of each and compare it with the one left at the end.
  const firstSeen = new Map<string, number>();
  let running = true;
  void both.then(() => (running = false));
  while (running) {
    for (const [f, ino] of weightInodes(root)) if (!firstSeen.has(f)) firstSeen.set(f, ino);
    await sleep(5);
  }
  const [a, b] = await both;
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  const ra = JSON.parse(a.stdout) as LotteryResult;
  const rb = JSON.parse(b.stdout) as LotteryResult;
  assert.deepEqual(rb, ra, 'both processes report the same experiment and accuracies');
  assert.deepEqual(
    ra.levels.map((l) => l.level),
    [0, 1, 2],
  );

  // They did overlap: one found the experiment owned by the other and waited for it.
  assert.match(a.stderr + b.stderr, /being trained by another process \(pid \d+/);
  const last = weightInodes(root);
  assert.equal(last.size, 3, 'one weights.bin per level');
  for (const [f, ino] of last) assert.equal(firstSeen.get(f), ino, `${f} was written more than once`);

  const store = new RunStore(root);
  try {
    assert.equal(store.index.get(ra.runId)?.status, 'finished');
    const metrics = store.index.metrics(ra.runId);
    // One record per level and name in the index.
    const seen = new Set<string>();
    for (const m of metrics) {
      const key = `${m.name}@${m.step}`;
      assert.ok(!seen.has(key), `metric ${key} recorded twice`);
      seen.add(key);
    }
    assert.deepEqual(
      metrics.filter((m) => m.name === 'testAccuracy').map((m) => m.step),
      [0, 1, 2],
    );
  } finally {
    store.close();
  }
  const left = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.includes('.tmp-') || f.endsWith('checkpoint.bin'),
  );
  assert.deepEqual(left, [], 'no checkpoint or temporary files left');
});

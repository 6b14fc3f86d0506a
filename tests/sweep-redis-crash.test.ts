/**
 * Issue #24: Redis crashes in the middle of a 12-run sweep, with its data (an append-only file)
 * and without, while two workers on separate stores train. The submitter says one line, queues
 * again what Redis lost, and the sweep completes with every run trained exactly once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { tempRoot } from './helpers.js';
import { count, startCli, startWorker, TestRedis, until, type Proc } from './redis-fixtures.js';

// Short locks so that a crash outlives them (as a 45 s outage outlives the default 30 s).
const LOCK_MS = 2000;

let dir: string;
let redis: TestRedis;
const workers: Proc[] = [];

before(async () => {
  dir = tempRoot('sprig-sweep-crash-');
  mkdirSync(join(dir, 'redis'));
  redis = await TestRedis.start(join(dir, 'redis'));
  workers.push(
    ...(await Promise.all(['a', 'b'].map((w) => startWorker(redis.url, join(dir, `worker-${w}`), LOCK_MS)))),
  );
});

after(() => {
  for (const w of workers) w.child.kill('SIGKILL');
  redis?.stop();
});

const logs = () => workers.map((w) => w.out()).join('\n');

async function crashMidSweep(name: string, seeds: number[], keepData: boolean, downMs: number) {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      kind: 'train',
      base: { dataset: 'synthetic', model: 'mlp_16', trainSteps: '48it', batchSize: 16 },
      grid: { lr: [0.05, 0.1, 0.2] },
      seeds,
    }),
  );
  const before = count(logs(), 'done ');
  const submitter = startCli(['sweep', file, '--root', join(dir, `home-${name}`), '--queue', redis.url]);
  // Mid-sweep: some runs done, others in training.
  await until('two runs done', () => count(logs(), 'done ') >= before + 2, 600);
  await redis.kill(keepData);
  await sleep(downMs);
  await redis.up();
  const timer = setTimeout(() => submitter.child.kill('SIGKILL'), 900_000);
  const code = await submitter.exited;
  clearTimeout(timer);
  const out = submitter.out();
  assert.equal(code, 0, out);
  assert.doesNotMatch(out, /\n\s+at |ReplyError|\[ioredis\]/, 'no stack traces');
  const table = submitter.stdout();
  const runIds = [...table.matchAll(/^(train_\w+)\s/gm)].map((m) => m[1]!);
  assert.equal(runIds.length, 12, table);
  assert.match(table, /: 12 finished\n/);
  for (const runId of runIds)
    assert.equal(count(logs(), `done ${runId} (trained)`), 1, `${runId} trained once`);
  // The board (the dashboard's sweep page) has the status the submitter saw last, each run's worker in it.
  const db = new Database(join(dir, `home-${name}`, 'index.sqlite'), { readonly: true });
  const saved = db.prepare('SELECT status FROM sweep_status').get() as { status: string };
  db.close();
  const board = JSON.parse(saved.status) as { counts: Record<string, number>; runs: { worker?: string }[] };
  assert.equal(board.counts.finished, 12);
  assert.ok(
    board.runs.every((r) => r.worker),
    'each run names its worker',
  );
  return out;
}

test('Redis restarted without its data mid-sweep: lost runs are queued again, each trained once', async () => {
  const out = await crashMidSweep('lost', [0, 1, 2, 3], false, 1500);
  assert.match(out, /queue error: [^\n]*Redis unreachable; retrying until it is back/);
  assert.match(out, /Redis lost \d+ queued run\(s\) \([^)]*\): queued again/);
});

test('Redis down longer than the locks, with its data: no run is trained twice', async () => {
  await crashMidSweep('kept', [4, 5, 6, 7], true, 3 * LOCK_MS);
  // The locks expired during the outage: BullMQ handed jobs out again, and the claim held.
  assert.match(
    logs(),
    /is being trained by \S+: waiting for its result, not training it again|done \S+ \(trained earlier on/,
  );
});

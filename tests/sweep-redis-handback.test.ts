/**
 * Issue #24 on a real Redis: a SIGTERMed worker hands its job back at once (not after its lock
 * expires), `--cancel` clears a sweep's queued jobs, and worker deaths count against `--attempts`
 * (five attempts survive three deaths, where BullMQ's own limit failed the job at the third).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempRoot } from './helpers.js';
import { count, runCli, startCli, startWorker, TestRedis, until, type Proc } from './redis-fixtures.js';

let dir: string;
const servers: TestRedis[] = [];
const procs: Proc[] = [];

before(() => {
  dir = tempRoot('sprig-sweep-handback-');
});

after(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  for (const r of servers) r.stop();
});

async function redis(name: string): Promise<TestRedis> {
  mkdirSync(join(dir, name));
  const r = await TestRedis.start(join(dir, name));
  servers.push(r);
  return r;
}

async function worker(url: string, root: string, lockMs: number, stalledMs = 1000): Promise<Proc> {
  const w = await startWorker(url, join(dir, root), lockMs, stalledMs);
  procs.push(w);
  return w;
}

function sweepFile(name: string, trainSteps: string, seeds: number[]): string {
  const file = join(dir, `${name}.json`);
  const base = { dataset: 'synthetic', model: 'mlp_16', trainSteps, batchSize: 16 };
  writeFileSync(file, JSON.stringify({ kind: 'train', base, seeds }));
  return file;
}

async function json<T>(args: string[]): Promise<T> {
  const { code, p } = await runCli([...args, '--json'], 900);
  assert.equal(code, 0, p.out());
  return JSON.parse(p.stdout()) as T;
}

interface Summary {
  counts: Record<string, number>;
  runs: { runId: string; state: string }[];
  cancelled?: { removed: number; running: number };
}

test('SIGTERM hands the job back at once; --cancel clears the queued jobs of a sweep', async () => {
  const { url } = await redis('r1');
  // A long lock: the job must not wait for it to expire.
  const first = await worker(url, 'x', 30_000);
  const long = sweepFile('long', '100000it', [0]);
  const home = join(dir, 'home');
  const { runs } = await json<Summary>(['sweep', long, '--root', home, '--queue', url, '--no-wait']);
  const runId = runs[0]!.runId;
  await until('training', () => first.out().includes(`${runId}: `), 400);
  const second = await worker(url, 'y', 30_000);
  const t0 = Date.now();
  first.child.kill('SIGTERM');
  await until('the other worker to start the job', () => second.out().includes(`start ${runId} `), 25);
  const seconds = (Date.now() - t0) / 1000;
  assert.ok(seconds < 15, `handed over after ${seconds} s`);
  assert.equal(await first.exited, 0);
  assert.match(first.out(), new RegExp(`${runId} handed back to the queue`));

  // The second worker is busy: a new sweep's jobs wait, and --cancel removes them.
  const queued = sweepFile('queued', '16it', [1, 2, 3]);
  await json<Summary>(['sweep', queued, '--root', home, '--queue', url, '--no-wait']);
  const cancel = await json<Summary>(['sweep', queued, '--root', home, '--queue', url, '--cancel']);
  assert.deepEqual(cancel.cancelled, { removed: 3, running: 0, finished: 0 });
  const status = await json<Summary>(['sweep', queued, '--root', home, '--queue', url, '--status']);
  assert.equal(status.counts.cancelled, 3, JSON.stringify(status));
});

test('worker deaths count against --attempts: five attempts outlive three deaths', async () => {
  const { url } = await redis('r2');
  const lock = 1500;
  const live = await Promise.all(['p', 'q'].map((w) => worker(url, w, lock, 500)));
  const file = sweepFile('deaths', '48it', [9]);
  const home = join(dir, 'home2');
  const { runs } = await json<Summary>([
    'sweep',
    file,
    '--root',
    home,
    '--queue',
    url,
    '--no-wait',
    '--attempts',
    '5',
  ]);
  const runId = runs[0]!.runId;
  const starts = () => procs.reduce((n, p) => n + count(p.out(), `start ${runId} `), 0);
  for (let death = 1; death <= 3; death++) {
    await until(`start ${death}`, () => starts() >= death, 400);
    const victim = live.find((w) => count(w.out(), `start ${runId} `) > 0 && w.child.exitCode === null)!;
    victim.child.kill('SIGKILL');
    live.splice(live.indexOf(victim), 1);
    // its replacement starts meanwhile: the job goes on to the other worker, to be killed there in turn
    const next = startCli([
      'worker',
      '--queue',
      url,
      '--root',
      join(dir, `w${death}`),
      '--lock-duration',
      `${lock}`,
      '--stalled-interval',
      '500',
    ]);
    procs.push(next);
    live.push(next);
  }
  const done = await json<Summary>(['sweep', file, '--root', home, '--queue', url, '--attempts', '5']);
  assert.equal(done.counts.finished, 1, JSON.stringify(done));
  assert.match(procs.map((p) => p.out()).join('\n'), new RegExp(`start ${runId} \\(attempt 4\\)`));
});

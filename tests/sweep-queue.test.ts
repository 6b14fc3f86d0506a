/**
 * `sprig sweep --queue` and `sprig worker` on a real Redis (Debian's redis-server, started here on
 * a free loopback port in a temporary directory): each run trains once, resubmitting queues
 * nothing, a SIGKILLed worker's job completes on the other, and a dead URL fails fast.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CLI, tempRoot } from './helpers.js';
import { freePort, listening, until } from './redis-fixtures.js';

const REDIS = '/usr/bin/redis-server';

interface Proc {
  child: ChildProcess;
  out: () => string;
}

function start(args: string[]): Proc {
  const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
  return { child, out: () => out };
}

/** Runs the CLI to its end (asynchronously, so the workers' pipes keep draining). */
function run(
  args: string[],
  killAfterSeconds = 120,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterSeconds * 1000);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

async function runJson<T>(args: string[]): Promise<T> {
  const r = await run([...args, '--json']);
  if (r.status !== 0) throw new Error(`sprig ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

interface Summary {
  counts: Record<string, number>;
  runs: { runId: string; state: string; worker?: string; location?: string }[];
  submitted?: { added: number; alreadyQueued: number; retried: number; finishedHere: number };
}

const TINY = {
  kind: 'train',
  base: { dataset: 'synthetic', model: 'mlp_16', trainSteps: '64it', batchSize: 16 },
  grid: { lr: [0.05, 0.1, 0.2] },
  seeds: [0, 1],
};

const count = (text: string, needle: string) => text.split(needle).length - 1;

let redis: ChildProcess;
let url: string;
let dir: string;
const workers: Proc[] = [];
let root: string;

before(async () => {
  assert.ok(existsSync(REDIS), `${REDIS} is missing: install Debian's redis-server (scripts/setup.sh does)`);
  dir = tempRoot('sprig-sweep-redis-');
  const port = await freePort();
  url = `redis://127.0.0.1:${port}`;
  redis = spawn(
    REDIS,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  await until('redis-server', () => listening(port), 20);
  root = join(dir, 'runs');
  // Two workers sharing one store (as on shared storage); short locks so a dead one is noticed in
  // seconds, long enough that a busy machine does not make a live one look dead.
  for (let i = 0; i < 2; i++) {
    const w = start([
      'worker',
      '--queue',
      url,
      '--root',
      root,
      '--lock-duration',
      '4000',
      '--stalled-interval',
      '1000',
    ]);
    workers.push(w);
  }
  await until('two workers', () => workers.every((w) => /worker \S+ on redis/.test(w.out())), 60);
});

after(() => {
  for (const w of workers) w.child.kill('SIGKILL');
  redis?.kill('SIGTERM');
});

const logs = () => workers.map((w) => w.out()).join('\n');

test('two workers run a 6-run sweep, each run trained exactly once; resubmitting queues nothing', async () => {
  const file = join(dir, 'tiny.json');
  writeFileSync(file, JSON.stringify(TINY));
  const first = await runJson<Summary>(['sweep', file, '--root', root, '--queue', url]);
  assert.equal(first.counts.finished, 6);
  assert.deepEqual(first.submitted, { added: 6, alreadyQueued: 0, retried: 0, finishedHere: 0 });
  for (const r of first.runs) {
    assert.equal(count(logs(), `start ${r.runId} `), 1, `${r.runId} started once`);
    assert.equal(count(logs(), `done ${r.runId} (trained)`), 1, `${r.runId} trained once`);
  }

  // A second store submits the same sweep: every job exists, nothing is queued, results flow back.
  const home = join(dir, 'home');
  const again = await runJson<Summary>(['sweep', file, '--root', home, '--queue', url]);
  assert.deepEqual(again.submitted, { added: 0, alreadyQueued: 6, retried: 0, finishedHere: 0 });
  assert.equal(again.counts.finished, 6);
  const db = new Database(join(home, 'index.sqlite'), { readonly: true });
  const rows = db.prepare("SELECT run_id, result FROM runs WHERE status = 'finished'").all() as {
    run_id: string;
    result: string;
  }[];
  assert.equal(rows.length, 6);
  for (const row of rows) {
    const result = JSON.parse(row.result) as { location: { root: string }; testAccuracy: number };
    assert.equal(result.location.root, root, 'the artifacts stay where the worker wrote them');
    const metrics = db.prepare('SELECT count(*) AS n FROM metrics WHERE run_id = ?').get(row.run_id) as {
      n: number;
    };
    assert.ok(metrics.n > 0, 'metrics came back');
  }
  const tagged = db.prepare('SELECT count(*) AS n FROM sweep_runs').get() as { n: number };
  assert.equal(tagged.n, 6);
  db.close();

  const status = await runJson<Summary>(['sweep', file, '--root', home, '--queue', url, '--status']);
  assert.equal(status.counts.finished, 6);
  assert.equal(status.submitted, undefined, '--status submits nothing');
});

test('a SIGKILLed worker’s job completes on the other worker, and the store ends consistent', async () => {
  const file = join(dir, 'long.json');
  writeFileSync(
    file,
    JSON.stringify({
      ...TINY,
      base: { ...TINY.base, trainSteps: '1500it' },
      grid: { lr: [0.1] },
      seeds: [7],
    }),
  );
  const submitted = await runJson<Summary>(['sweep', file, '--root', root, '--queue', url, '--no-wait']);
  const runId = submitted.runs[0]!.runId;
  await until('a worker to start the job', () => workers.some((w) => w.out().includes(`start ${runId} `)));
  const victim = workers.find((w) => w.out().includes(`start ${runId} `))!;
  const survivor = workers.find((w) => w !== victim)!;
  // Mid-job: training has written a checkpoint.
  await until('a checkpoint', () => existsSync(join(root, runId, 'checkpoint.bin')));
  victim.child.kill('SIGKILL');

  const done = await runJson<Summary>(['sweep', file, '--root', root, '--queue', url]);
  assert.equal(done.counts.finished, 1, JSON.stringify(done));
  assert.match(survivor.out(), new RegExp(`done ${runId} \\(trained\\)`));
  assert.doesNotMatch(victim.out(), new RegExp(`done ${runId}`));
  // The shared store let the survivor resume from the victim's checkpoint, not from epoch 1.
  const resumedAt = survivor.out().match(new RegExp(`${runId}: \\S+ epoch (\\d+)`));
  assert.ok(resumedAt && Number(resumedAt[1]) >= 2, survivor.out());

  const result = JSON.parse(readFileSync(join(root, runId, 'result.json'), 'utf8')) as {
    steps: number;
    testAccuracy: number;
  };
  assert.equal(result.steps, 1500);
  assert.equal(existsSync(join(root, runId, 'checkpoint.bin')), false);
  const db = new Database(join(root, 'index.sqlite'), { readonly: true });
  const row = db.prepare('SELECT status, result FROM runs WHERE run_id = ?').get(runId) as {
    status: string;
    result: string;
  };
  assert.equal(row.status, 'finished');
  assert.equal((JSON.parse(row.result) as { testAccuracy: number }).testAccuracy, result.testAccuracy);
  const running = db.prepare("SELECT count(*) AS n FROM runs WHERE status = 'running'").get() as {
    n: number;
  };
  assert.equal(running.n, 0, 'no run is left marked running');
  db.close();
});

test('a queue URL where nothing listens is a clear error, not a hang', async () => {
  const dead = `redis://127.0.0.1:${await freePort()}`;
  const file = join(dir, 'tiny.json');
  const commands = [
    ['sweep', file, '--root', join(dir, 'x'), '--queue', dead],
    ['worker', '--queue', dead, '--root', join(dir, 'x')],
  ];
  const results = await Promise.all(commands.map((args) => run(args, 30)));
  for (const [i, r] of results.entries()) {
    assert.equal(r.status, 2, `${commands[i]![0]}: ${r.stderr}`);
    assert.match(r.stderr, /nothing answers at redis:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)[^]*fix: /);
  }
});

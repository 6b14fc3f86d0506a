/**
 * Issue #24's input checks, without Redis: `--set` and `--dry-run` check every key and value,
 * `--status` without `--queue` trains nothing, a port that is not Redis fails in seconds with one
 * line, `export` of a run a remote worker trained names where its files are, and a DST run that
 * ends before its first mask update says so (and the README's example no longer does that).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { RunStore } from '../src/store/store.js';
import { ingest } from '../src/sweep/ingest.js';
import { start, sprig, sprigJson, tempRoot } from './helpers.js';

const DST = { kind: 'dst', base: { dataset: 'synthetic', model: 'mlp_16', batchSize: 16 } };

function sweepFile(dir: string, name: string, body: unknown): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(body));
  return file;
}

test('--set refuses a bad value and a key the grid varies, naming --set', () => {
  const dir = tempRoot('sprig-sweep-set-');
  const file = sweepFile(dir, 's', {
    ...DST,
    base: { ...DST.base, trainSteps: '8it' },
    grid: { sparsity: [0.5, 0.8] },
  });
  const varied = sprig(['sweep', file, '--dry-run', '--root', dir, '--set', 'sparsity=abc']);
  assert.equal(varied.status, 2, varied.stdout);
  assert.match(
    varied.stderr,
    /--set sparsity: the sweep file varies sparsity \(grid\.sparsity\)[^]*fix: change grid\.sparsity/,
  );
  const bad = sprig(['sweep', file, '--dry-run', '--root', dir, '--set', 'dropFraction=abc']);
  assert.equal(bad.status, 2, bad.stdout);
  assert.match(bad.stderr, /--set dropFraction: 'abc' is not a number\n {2}fix: correct --set dropFraction/);
  const unknown = sprig(['sweep', file, '--dry-run', '--root', dir, '--set', 'sparsty=0.5']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown key at --set sparsty 'sparsty'/);
  assert.doesNotMatch(varied.stderr + bad.stderr + unknown.stderr, /\n\s+at /, 'no stack trace');
});

test('--dry-run checks every value: sparsity 1.5 is refused before anything runs', () => {
  const dir = tempRoot('sprig-sweep-range-');
  const file = sweepFile(dir, 'r', { ...DST, grid: { sparsity: [0.5, 1.5] } });
  const r = sprig(['sweep', file, '--dry-run', '--root', dir]);
  assert.equal(r.status, 2, r.stdout);
  assert.match(r.stderr, /sparsity = 1\.5 is outside \[0, 1\)/);
});

test('--status without --queue shows the sweep and trains nothing', () => {
  const dir = tempRoot('sprig-sweep-status-');
  const file = sweepFile(dir, 'st', { ...DST, base: { ...DST.base, trainSteps: '8it' }, seeds: [0, 1] });
  const s = sprigJson<{ counts: Record<string, number>; runs: { state: string }[] }>([
    'sweep',
    file,
    '--status',
    '--root',
    dir,
  ]);
  assert.equal(s.counts.queued, 2);
  assert.ok(s.runs.every((r) => r.state === 'queued'));
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('dst_')),
    [],
    'no run directory was made',
  );
});

test('a DST run that ends before its first mask update warns, in the command and in the sweep', () => {
  const dir = tempRoot('sprig-sweep-dt-');
  const short = sweepFile(dir, 'short', { ...DST, base: { ...DST.base, trainSteps: '60it' } });
  const r = sprigJson<{ runs: { warnings?: string[] }[] }>(['sweep', short, '--root', dir, '--quiet']);
  assert.match(
    r.runs[0]!.warnings?.[0] ?? '',
    /rigl never updates its mask: its first update is at step 100/,
  );
  const human = sprig(['sweep', short, '--root', dir]);
  assert.match(human.stdout, /warnings:\n {2}dst_\S+: rigl never updates its mask/);
});

test("the README's dst-example sweep updates masks (no warning at its length and ΔT)", () => {
  const dir = tempRoot('sprig-sweep-example-');
  const plan = sprigJson<{ runs: { args: string[] }[] }>([
    'sweep',
    'sweeps/dst-example.yaml',
    '--dry-run',
    '--root',
    dir,
  ]);
  const args = plan.runs.find((r) => r.args.includes('rigl'))!.args;
  const at = (flag: string) => args[args.indexOf(flag) + 1];
  const steps = Number(/^(\d+)it$/.exec(at('--train-steps') ?? '')?.[1]);
  const deltaT = Number(at('--delta-t') ?? 100);
  assert.ok(deltaT <= 0.75 * steps, `ΔT ${deltaT} must come before T_end = 75 % of ${steps} steps`);
});

test('a --queue port that is not Redis fails in seconds with one line', async () => {
  const dir = tempRoot('sprig-sweep-notredis-');
  const file = sweepFile(dir, 'q', { ...DST, base: { ...DST.base, trainSteps: '8it' } });
  const servers: Server[] = [
    createServer((c) => c.end('HTTP/1.1 400 Bad Request\r\n\r\n')), // answers, but not as Redis
    createServer(() => {}), // accepts, says nothing
  ];
  try {
    for (const server of servers) {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `redis://127.0.0.1:${(server.address() as { port: number }).port}`;
      const t0 = Date.now();
      const { child, done } = start(['sweep', file, '--root', dir, '--queue', url]);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const r = await done;
      clearTimeout(timer);
      assert.equal(r.status, 2, `${url}: ${r.stderr}`);
      assert.ok(Date.now() - t0 < 20_000);
      assert.match(
        r.stderr,
        /^sprig: error: (a server that is not Redis|no Redis) answers at redis:\/\/[^\n]+\n {2}fix: [^\n]+\n$/,
      );
    }
  } finally {
    for (const s of servers) s.close();
  }
});

test('export of a run a sweep worker trained elsewhere names the machine and directory of its files', () => {
  const dir = tempRoot('sprig-sweep-export-');
  const store = new RunStore(dir);
  const runId = 'train_0123456789ab';
  ingest(store, {
    runId,
    kind: 'train',
    result: { runId, runDir: `/srv/runs/${runId}`, testAccuracy: 0.5 },
    hparams: {},
    rows: [],
    metrics: [],
    host: 'gpu-box-7',
    root: '/srv/runs',
    cached: false,
  });
  store.close();
  assert.equal(existsSync(join(dir, runId)), false);
  const r = sprig(['export', runId, '--root', dir]);
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    new RegExp(`trained by a sweep worker on gpu-box-7; its files are in gpu-box-7:/srv/runs/${runId}`),
  );
  assert.match(r.stderr, /fix: copy that directory here \(e\.g\. rsync -a gpu-box-7:/);
});

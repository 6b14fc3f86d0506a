/** `sprig sweep` on this machine: local worker processes, no server; bad files refused before anything runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, sprig, sprigJson, tempRoot } from './helpers.js';

interface Summary {
  sweepId: string;
  counts: Record<string, number>;
  runs: { runId: string; state: string; label: string; error?: string }[];
}

/** Six tiny runs: 3 learning rates × 2 seeds of a 16-unit MLP on synthetic data. */
export const TINY = {
  kind: 'train',
  base: { dataset: 'synthetic', model: 'mlp_16', trainSteps: '64it', batchSize: 16 },
  grid: { lr: [0.05, 0.1, 0.2] },
  seeds: [0, 1],
};

function sweepFile(dir: string, body: unknown, name = 'sweep.json'): string {
  const path = join(dir, name);
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
  return path;
}

test('the embedded default runs a 6-run sweep in two local workers, then finds every run finished', async () => {
  const dir = tempRoot('sprig-sweep-local-');
  const file = sweepFile(dir, TINY);
  const root = join(dir, 'runs');
  const first = sprigJson<Summary>(['sweep', file, '--root', root, '--workers', '2']);
  assert.equal(first.runs.length, 6);
  assert.deepEqual(first.counts, {
    exists: 0,
    queued: 0,
    running: 0,
    stalled: 0,
    finished: 6,
    failed: 0,
    cancelled: 0,
  });
  assert.equal(new Set(first.runs.map((r) => r.runId)).size, 6);
  for (const r of first.runs) assert.ok(existsSync(join(root, r.runId, 'result.json')), r.runId);

  // The dashboard's reader groups the runs by sweep.
  const { StoreReader } = await import('../src/dashboard/reader.js');
  const reader = new StoreReader(root);
  const grouped = reader.list({ sweep: first.sweepId });
  assert.deepEqual(grouped.map((r) => r.runId).sort(), first.runs.map((r) => r.runId).sort());
  assert.ok(grouped.every((r) => r.sweeps.includes(first.sweepId)));
  assert.equal(reader.list({ sweep: 'sweep_000000000000' }).length, 0);
  const { createDashboard } = await import('../src/dashboard/server.js');
  const app = createDashboard(reader);
  const listed = (await app.inject({ method: 'GET', url: '/api/runs?sweep=sweep' })).json() as {
    runs: { runId: string; sweep: string }[];
  };
  assert.equal(listed.runs.length, 6, 'the sweep by its name (the file name)');
  assert.ok(listed.runs.every((r) => r.sweep === 'sweep'));
  await app.close();

  const again = sprigJson<Summary>(['sweep', file, '--root', root, '--workers', '2']);
  assert.equal(again.counts.exists, 6, 'nothing runs twice');
  const dry = sprigJson<{ existing: number; runs: unknown[] }>(['sweep', file, '--root', root, '--dry-run']);
  assert.equal(dry.existing, 6);
  assert.equal(dry.runs.length, 6);
});

test('the YAML form with overrides expands and names runs by their run ids', () => {
  const dir = tempRoot('sprig-sweep-yaml-');
  const file = sweepFile(
    dir,
    [
      'kind: dst',
      'base: {dataset: synthetic, model: mlp_16, trainSteps: 32it, sparsity: 0.5}',
      'grid:',
      '  method: [static, set]',
      'overrides:',
      '  - {distribution: uniform}',
      '  - {distribution: erk, denseFirstLayer: false}',
      'seeds: [3]',
    ].join('\n'),
    'sweep.yaml',
  );
  const dry = sprigJson<{ existing: number; runs: { runId: string; label: string; args: string[] }[] }>([
    'sweep',
    file,
    '--root',
    join(dir, 'runs'),
    '--dry-run',
  ]);
  assert.equal(dry.existing, 0);
  assert.equal(dry.runs.length, 4);
  assert.ok(dry.runs.every((r) => /^dst_[0-9a-f]{16}$/.test(r.runId)));
  assert.ok(dry.runs.some((r) => r.args.includes('--no-dense-first-layer')));
  assert.equal(dry.runs[0]!.label, 'method=static distribution=uniform seed=3');
  // The same run from the command line has the same id.
  const one = sprigJson<{ runId: string }>([
    'dst',
    ...dry.runs[0]!.args,
    '--root',
    join(dir, 'runs'),
    '--quiet',
  ]);
  assert.equal(one.runId, dry.runs[0]!.runId);
});

test('a bad sweep file is refused with the field named, before anything runs', async () => {
  const { loadSweepFile } = await import('../src/sweep/file.js');
  const { expandSweep } = await import('../src/sweep/expand.js');
  const dir = tempRoot('sprig-sweep-bad-');
  const cases: [unknown, RegExp][] = [
    [{ ...TINY, kind: 'pretrain' }, /kind: .*"train"/],
    [
      { ...TINY, base: { ...TINY.base, learningRate: 0.1 } },
      /base\.learningRate[^]*fix: use one of: .*\blr\b/,
    ],
    [{ ...TINY, grid: { lr: ['fast'] } }, /grid\.lr\[0\]: 'fast' is not a number/],
    [{ ...TINY, grid: {} }, /grid: an empty grid/],
    [{ ...TINY, grid: { lr: [] } }, /grid\.lr: an axis needs at least one value/],
    [{ ...TINY, seeds: [0.5] }, /seeds\.0/],
    [{ ...TINY, extra: 1 }, /"extra"/],
    [{ ...TINY, base: { ...TINY.base, optimizer: 'lion' } }, /base\.optimizer: .*sgd, adam/],
    [{ ...TINY, base: { ...TINY.base, nesterov: 3 } }, /base\.nesterov: nesterov is a switch/],
    [
      { ...TINY, base: { ...TINY.base, trainSteps: '5 parsecs' } },
      /--train-steps 5 parsecs[^]*training\.trainSteps/,
    ],
  ];
  for (const [body, field] of cases) {
    const path = sweepFile(dir, body);
    assert.throws(
      () => expandSweep(loadSweepFile(path), path),
      (e: Error) => e.name === 'SprigError' && field.test(e.message) && /fix: /.test(e.message),
      JSON.stringify(body),
    );
  }
  // The command line says so and exits 2, with nothing run.
  const root = join(dir, 'runs');
  const r = sprig(['sweep', sweepFile(dir, { ...TINY, grid: { lr: [] } }), '--root', root]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /sprig: error: [^]*grid\.lr/);
  assert.equal(existsSync(join(root, 'index.sqlite')), false, 'nothing ran');
});

test('killing a local sweep and starting it again continues where it stopped', async () => {
  const dir = tempRoot('sprig-sweep-kill-');
  const file = sweepFile(dir, {
    ...TINY,
    base: { ...TINY.base, trainSteps: '320it' },
    grid: { lr: [0.1] },
    seeds: [0, 1, 2],
  });
  const root = join(dir, 'runs');
  const child = spawn(process.execPath, [...CLI, 'sweep', file, '--root', root, '--workers', '1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s;
      if (/: finished/.test(err)) resolve();
    });
    child.on('exit', () => reject(new Error(`the sweep ended before it was killed:\n${err}`)));
  });
  child.kill('SIGKILL');
  const done = err.match(/(train_[0-9a-f]{16}) \S+ \S+: finished/)![1]!;
  const again = sprigJson<Summary>(['sweep', file, '--root', root]);
  const state = Object.fromEntries(again.runs.map((r) => [r.runId, r.state]));
  assert.equal(state[done], 'exists', 'the finished run is not trained again');
  assert.equal(again.counts.exists + again.counts.finished, 3);
  assert.equal(again.counts.failed, 0);
});

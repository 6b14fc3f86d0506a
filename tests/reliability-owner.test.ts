/** One owner per run directory: concurrent identical runs train once; a dead owner's run is interrupted. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sprig, sprigJson, start, tempRoot } from './helpers.js';

const ARGS = ['train', '--dataset', 'synthetic', '--model', 'mlp_32', '--batch-size', '8', '--quiet'];

interface Shown {
  status: string;
  result: { testAccuracy: number };
  metrics: { step: number; name: string }[];
}

test('two identical runs started together: one trains, the other waits and returns the stored result', async () => {
  const root = tempRoot();
  const args = [...ARGS, '--train-steps', '100ep', '--root', root, '--json'];
  const [a, b] = await Promise.all([start(args).done, start(args).done]);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  const ra = JSON.parse(a.stdout);
  const rb = JSON.parse(b.stdout);
  assert.equal([ra.cached, rb.cached].filter(Boolean).length, 1, 'exactly one of them trained');
  assert.equal(ra.testLoss, rb.testLoss);
  assert.match(a.stderr + b.stderr, /being trained by another process \(pid \d+/);
  const shown = sprigJson<Shown>(['show', ra.runId, '--root', root]);
  assert.equal(shown.status, 'finished');
  // Trained once: one metrics row per epoch and name, no checkpoint or temporaries left.
  const epochs = shown.metrics.filter((m) => m.name === 'epoch').map((m) => m.step);
  assert.equal(epochs.length, 100);
  assert.deepEqual(
    readdirSync(ra.runDir)
      .filter((n) => n.includes('.tmp-') || n === 'checkpoint.bin')
      .sort(),
    [],
  );
});

test('four different runs at once on one root all finish and are indexed', async () => {
  const root = tempRoot();
  const runs = await Promise.all(
    [1, 2, 3, 4].map(
      (seed) =>
        start([...ARGS, '--train-steps', '5ep', '--seed', String(seed), '--root', root, '--json']).done,
    ),
  );
  for (const r of runs) assert.equal(r.status, 0, r.stderr);
  const listed = sprigJson<{ runId: string; status: string }[]>(['runs', '--root', root]);
  assert.equal(listed.length, 4);
  assert.ok(listed.every((r) => r.status === 'finished'));
});

test('SPRIG_WAIT=0 refuses at once naming the owner; a killed owner shows as interrupted and resumes', async () => {
  const root = tempRoot();
  const args = [...ARGS, '--train-steps', '400ep', '--root', root];
  const owner = start(args);
  let dir: string | undefined;
  for (let i = 0; i < 1000 && !dir; i++) {
    await sleep(20);
    const d = existsSync(root) ? readdirSync(root).find((n) => n.startsWith('train_')) : undefined;
    if (d && existsSync(join(root, d, 'checkpoint.bin'))) dir = join(root, d);
  }
  assert.ok(dir, 'the owner wrote a checkpoint');
  const refused = sprig(args, { SPRIG_WAIT: '0' });
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, new RegExp(`another process \\(pid ${owner.child.pid} `));
  assert.equal(owner.child.exitCode, null, 'refused while the owner still trains, without waiting for it');
  const running = sprigJson<{ status: string }[]>(['runs', '--root', root]);
  assert.equal(running[0]!.status, 'running');

  owner.child.kill('SIGKILL');
  await owner.done;
  const listed = sprigJson<{ runId: string; status: string }[]>(['runs', '--root', root]);
  assert.equal(listed[0]!.status, 'interrupted');
  assert.equal(
    sprigJson<{ status: string }>(['show', listed[0]!.runId, '--root', root]).status,
    'interrupted',
  );
  const resumed = sprigJson<{ cached: boolean; steps: number }>([...args, '--train-steps', '400ep']);
  assert.equal(resumed.cached, false);
  assert.equal(sprigJson<{ status: string }[]>(['runs', '--root', root])[0]!.status, 'finished');
});

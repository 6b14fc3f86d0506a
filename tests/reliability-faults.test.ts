/**
 * Faults end in one clear error (path, OS error, fix), within seconds, with the last good
 * checkpoint intact and no temporaries left; once cleared, the same command resumes. The disk faults
 * need mount (CI runs as root); where mounting is refused the test says so and skips.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadCheckpoint } from '../src/store/checkpoint.js';
import { serveDashboard } from '../src/dashboard/server.js';
import { CLI, sprig, sprigJson, tempRoot } from './helpers.js';

// LeNet-300-100 without momentum: a checkpoint is about 1.07 MB.
const ARGS = [
  'train',
  '--dataset',
  'fashion_mnist',
  '--model',
  'mnist_lenet_300_100',
  '--subset',
  '200',
  '--batch-size',
  '50',
  '--quiet',
];

const SMALL = ['train', '--dataset', 'synthetic', '--model', 'mlp_32', '--batch-size', '8', '--quiet'];

function mount(t: TestContext, args: string[]): boolean {
  const r = spawnSync('mount', args, { encoding: 'utf8' });
  if (r.status === 0) return true;
  const why = `mount ${args.join(' ')} refused: ${(r.stderr || r.error?.message || '').trim()}`;
  process.stdout.write(`# skipped: ${why}\n`);
  t.skip(why);
  return false;
}

const umount = (dir: string) => spawnSync('umount', [dir]);

const leftovers = (dir: string) =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) => n.includes('.tmp-'));

const runDir = (root: string) => {
  const d = existsSync(root) ? readdirSync(root).find((n) => n.startsWith('train_')) : undefined;
  return d && join(root, d);
};

test('a root under /proc fails within seconds, for train and for runs', () => {
  for (const args of [[...ARGS, '--train-steps', '1ep'], ['runs']]) {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [...CLI, ...args, '--root', '/proc/forbidden'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 2, `exit status ${r.status} (${r.signal ?? ''}): ${r.stderr}`);
    assert.match(r.stderr, /\/proc\/forbidden/);
    assert.match(r.stderr, /fix: /);
    assert.ok(Date.now() - t0 < 30_000);
  }
});

test('a full disk: clear ENOSPC, last checkpoint intact, no temporaries; resumes once there is space', (t) => {
  const mnt = tempRoot('sprig-tmpfs-');
  if (!mount(t, ['-t', 'tmpfs', '-o', 'size=1800k', 'tmpfs', mnt])) return;
  try {
    const root = join(mnt, 'runs');
    const args = [...ARGS, '--train-steps', '3ep', '--root', root];
    const r = sprig(args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /ENOSPC/);
    assert.match(r.stderr, /fix: free space/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    const dir = runDir(root)!;
    assert.equal(loadCheckpoint<{ step: number }>(join(dir, 'checkpoint.bin'))!.meta.step, 4);
    assert.deepEqual(leftovers(root), []);
    assert.equal(sprigJson<{ status: string }[]>(['runs', '--root', root])[0]!.status, 'interrupted');

    assert.equal(spawnSync('mount', ['-o', 'remount,size=16m', mnt]).status, 0);
    writeFileSync(join(dir, 'checkpoint.bin.tmp-999999'), 'a killed owner left this');
    const resumed = sprigJson<{ steps: number; cached: boolean }>(args);
    assert.equal(resumed.steps, 12);
    assert.deepEqual(leftovers(root), [], 'the next owner removes stale temporaries');
  } finally {
    umount(mnt);
  }
});

test('a read-only root: clear EROFS, listed and shown all the same; resumes once writable', async (t) => {
  const src = tempRoot('sprig-rw-');
  const mnt = tempRoot('sprig-ro-');
  if (!mount(t, ['--bind', src, mnt])) return;
  const args = [...SMALL, '--train-steps', '60ep', '--root', mnt];
  const child = spawn(process.execPath, [...CLI, ...args], { stdio: 'ignore' });
  try {
    const exited = new Promise((r) => child.on('close', r));
    for (let i = 0; i < 1500 && !existsSync(join(runDir(mnt) ?? mnt, 'checkpoint.bin')); i++) await sleep(20);
    child.kill('SIGKILL');
    await exited;
    // (A live writer keeps Linux from remounting read-only, so the fault comes between two attempts.)
    assert.equal(spawnSync('mount', ['-o', 'remount,bind,ro', mnt]).status, 0);
    const refused = sprig(args);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /not writable.*EROFS/);
    assert.match(refused.stderr, /fix: /);

    const listed = sprigJson<{ runId: string; status: string }[]>(['runs', '--root', mnt]);
    assert.equal(listed[0]!.status, 'interrupted');
    assert.equal(
      sprigJson<{ status: string }>(['show', listed[0]!.runId, '--root', mnt]).status,
      'interrupted',
    );
    assert.ok(loadCheckpoint(join(runDir(mnt)!, 'checkpoint.bin')), 'the last checkpoint reads back');
    const plotted = sprig([
      'plot',
      listed[0]!.runId,
      '--metric',
      'testAccuracy',
      '--out',
      '-',
      '--root',
      mnt,
    ]);
    assert.equal(plotted.status, 0, plotted.stderr);
    assert.match(plotted.stdout, /<svg/);
    const served = await serveDashboard({ root: mnt, port: 0 });
    try {
      const api = (await (await fetch(new URL('/api/runs', served.url))).json()) as {
        runs: { status: string }[];
      };
      assert.equal(api.runs[0]!.status, 'interrupted');
    } finally {
      await served.close();
    }

    assert.equal(spawnSync('mount', ['-o', 'remount,bind,rw', mnt]).status, 0);
    const resumed = sprigJson<{ cached: boolean; steps: number }>([...args]);
    assert.equal(resumed.cached, false);
    assert.deepEqual(leftovers(src), []);
  } finally {
    child.kill('SIGKILL');
    umount(mnt);
  }
});

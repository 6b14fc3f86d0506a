/**
 * Same seed, same bits: the thread count is fixed when a run starts (not adapted to the machine's
 * load), recorded in run.json, and a resumed run takes it back whatever SPRIG_THREADS says then.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, sprig, tempRoot } from './helpers.js';

// Big enough for the native kernels to split their sums over threads (50×784×300 products).
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
  '--train-steps',
  '8ep',
  '--quiet',
];
// The CLI's own default (all cores), not the test runner's one thread.
const DEFAULT_ENV = { NODE_TEST_CONTEXT: '', SPRIG_THREADS: '' };

function train(root: string, env: NodeJS.ProcessEnv): Buffer {
  const r = sprig([...ARGS, '--root', root], env);
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(join(runDir(root)!, 'weights.bin'));
}

function runDir(root: string): string | undefined {
  const d = readdirSync(root).find((n) => n.startsWith('train_'));
  return d && join(root, d);
}

/** Keeps every core busy, as other users of a shared machine do. */
function burners(): ChildProcess[] {
  return Array.from({ length: availableParallelism() }, () =>
    spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }),
  );
}

test('the same run gives the same bits idle and under load, and resumes with its own thread count', async () => {
  const idle = train(tempRoot(), DEFAULT_ENV);
  const load = burners();
  let busy: Buffer;
  try {
    busy = train(tempRoot(), DEFAULT_ENV);
  } finally {
    for (const b of load) b.kill('SIGKILL');
  }
  assert.ok(idle.equals(busy), 'weights differ between an idle and a busy machine');
  const one = train(tempRoot(), { SPRIG_THREADS: '1' });
  assert.ok(one.equals(train(tempRoot(), { SPRIG_THREADS: '1' })), 'SPRIG_THREADS=1 is not deterministic');
  // Where the kernels split their sums the same way for any thread count, 1 and all cores agree too;
  // where they do not, a resume that changed the count would be caught below.
  process.stdout.write(
    `# 1 thread vs ${availableParallelism()}: ${one.equals(idle) ? 'same' : 'different'} bits\n`,
  );

  const root = tempRoot();
  const child = spawn(process.execPath, [...CLI, ...ARGS, '--root', root], {
    stdio: 'ignore',
    env: { ...process.env, ...DEFAULT_ENV },
  });
  const exited = new Promise((r) => child.on('exit', r));
  let ck: string | undefined;
  for (let i = 0; i < 1200 && !ck; i++) {
    await sleep(20);
    const d = runDir(root);
    if (d && existsSync(join(d, 'checkpoint.bin'))) ck = join(d, 'checkpoint.bin');
  }
  child.kill('SIGKILL');
  await exited;
  assert.ok(ck && existsSync(ck), 'killed after a checkpoint and before the end');
  const record = JSON.parse(readFileSync(join(runDir(root)!, 'run.json'), 'utf8'));
  assert.equal(record.threads, availableParallelism());
  // Resumed under another thread count: run.json's wins, so the bits are the uninterrupted run's.
  assert.ok(
    train(root, { SPRIG_THREADS: '1' }).equals(idle),
    'resumed run differs from an uninterrupted one',
  );
});

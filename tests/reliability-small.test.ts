/** The smaller reliability fixes: honest fix lines, and lottery summaries that keep what was run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createModel } from '../src/models/registry.js';
import { layerDensities } from '../src/sparsity/distributions.js';
import { CLI, sprig, sprigJson, tempRoot } from './helpers.js';

test('ERK at an extreme sparsity does not suggest ERK', () => {
  const { specs } = createModel('mnist_lenet_300_100', [28, 28, 1], 10);
  assert.throws(
    () => layerDensities(specs, { distribution: 'erk', sparsity: 0.999999 }),
    (e: Error) =>
      /no weights/.test(e.message) && !/\(erk\)/.test(e.message) && /fix: lower the sparsity/.test(e.message),
  );
  assert.throws(() => layerDensities(specs, { distribution: 'uniform', sparsity: 0.999999 }), /\(erk\)/);
});

test('a zero training length from a config file is not reported as a flag the user did not pass', () => {
  const root = tempRoot();
  const config = join(root, 'config.json');
  writeFileSync(config, JSON.stringify({ training: { trainSteps: '0it' } }));
  const r = sprig([
    'train',
    '--dataset',
    'synthetic',
    '--model',
    'mlp_8',
    '--config',
    config,
    '--root',
    root,
  ]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /trainSteps\) '0it' is zero iterations/);
  assert.doesNotMatch(r.stderr, /--train-steps 0it/);
});

const LOTTERY = [
  'lottery',
  '--model',
  'mlp_32',
  '--dataset',
  'synthetic',
  '--train-steps',
  '3ep',
  '--levels',
  '2',
  '--quiet',
];

/** Every stored weight file of a lottery experiment, by path relative to its directory. */
function weights(dir: string): Map<string, Buffer> {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('weights.bin'),
  );
  return new Map(files.sort().map((f) => [f, readFileSync(join(dir, f))]));
}

test('lottery: re-run without --branches keeps the branches; killed twice and resumed, the same bytes', async () => {
  const root = tempRoot();
  const defaults = { NODE_TEST_CONTEXT: '', SPRIG_THREADS: '' }; // the CLI's own thread count
  const withBranches = sprigJson<{ runDir: string; levels: { branches: Record<string, unknown> }[] }>(
    [...LOTTERY, '--branches', 'reinit', '--root', root],
    defaults,
  );
  assert.ok(withBranches.levels[2]!.branches.reinit);
  const again = sprigJson<typeof withBranches>([...LOTTERY, '--root', root]);
  assert.ok(again.levels[2]!.branches.reinit, '--json keeps the reinit branch');
  const curve = JSON.parse(readFileSync(join(again.runDir, 'curve.json'), 'utf8'));
  assert.ok(curve.levels[2].branches.reinit, 'curve.json keeps the reinit branch');

  // Killed at two moments with the CLI's default threads, then resumed: the bytes of every level match.
  const reference = weights(withBranches.runDir);
  const killed = tempRoot();
  const env = { ...process.env, ...defaults };
  for (const after of [1, 2]) {
    const child = spawn(process.execPath, [...CLI, ...LOTTERY, '--branches', 'reinit', '--root', killed], {
      stdio: 'ignore',
      env,
    });
    const exited = new Promise((r) => child.on('exit', r));
    // Kill once `after` runs have stored their weights (each level is a run; level 0 also saves θ0).
    for (let i = 0; i < 3000; i++) {
      await sleep(10);
      const dirs = readdirSync(killed).filter((d) => d.startsWith('lottery_'));
      if (dirs.length && weights(join(killed, dirs[0]!)).size >= after) break;
    }
    child.kill('SIGKILL');
    await exited;
  }
  const resumed = sprigJson<{ runDir: string }>(
    [...LOTTERY, '--branches', 'reinit', '--root', killed],
    defaults,
  );
  const got = weights(resumed.runDir);
  assert.deepEqual([...got.keys()], [...reference.keys()]);
  for (const [f, b] of reference) assert.ok(got.get(f)!.equals(b), `${f} differs after kill and resume`);
});

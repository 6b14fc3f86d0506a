/** Shared test helpers: run the CLI as a user would, in a temporary store. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const CLI = ['--import', 'tsx', join(import.meta.dirname, '..', 'src', 'cli', 'main.ts')];

/** Flags of a tiny, quiet training run on synthetic data: the stores' tests train it many times. */
export const TINY_TRAIN = [
  '--dataset',
  'synthetic',
  '--model',
  'mlp_16',
  '--train-steps',
  '2ep',
  '--batch-size',
  '32',
  '--quiet',
];

export function tempRoot(prefix = 'sprig-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function sprig(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [...CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI and parses its --json output; fails with its stderr when it exits non-zero. */
export function sprigJson<T = Record<string, unknown>>(args: string[], env: NodeJS.ProcessEnv = {}): T {
  const r = sprig([...args, '--json'], env);
  if (r.status !== 0) throw new Error(`sprig ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export function sprigAsync(args: string[]) {
  return spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts the CLI in the background, collecting its output; `done` resolves when it has exited. */
export function start(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [...CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((r) => child.on('close', (status) => r({ status, stdout, stderr })));
  return { child, done };
}

/**
 * Runs the CLI and SIGKILLs it as soon as `ready()` holds (polled every 10 ms), e.g. once a
 * checkpoint exists; returns whether it was killed (false: it exited before `ready()` held).
 */
export async function killWhen(args: string[], ready: () => boolean, env: NodeJS.ProcessEnv = {}) {
  const { child, done } = start(args, env);
  let exited = false;
  void done.then(() => (exited = true));
  while (!exited && !ready()) await sleep(10);
  const killed = !exited && child.kill('SIGKILL');
  await done;
  return killed;
}

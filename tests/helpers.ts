/** Shared test helpers: run the CLI as a user would, in a temporary store. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI = ['--import', 'tsx', join(import.meta.dirname, '..', 'src', 'cli', 'main.ts')];

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

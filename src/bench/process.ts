/**
 * What both benchmarks share: one measurement per child process (so peak RSS is per measurement),
 * its result read from the last JSON line of its stdout, and the machine's load recorded beside it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The machine's 1-minute load average (other processes' load skews both engines; it is recorded). */
export function loadAvg(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

/** The middle element (the upper one of the two middles for an even count); NaN when empty. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

/** This process's peak resident set size in MB. */
export const rssMB = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

/** The PyTorch peer: --torch-script, else shared/bench beside the checkout. */
export function torchScriptPath(o: { torchScript?: string }): string {
  const candidates = [
    o.torchScript,
    join(repoRoot, '..', 'shared', 'bench', 'torch_reference.py'),
    '/work/shared/bench/torch_reference.py',
  ];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found) throw new Error('torch_reference.py not found: pass --torch-script PATH');
  return found;
}

/** Runs a child and returns its last JSON line. */
export function runJson(cmd: string, args: string[]): Record<string, unknown> {
  const p = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  const line = (p.stdout ?? '')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (p.status !== 0 || !line) {
    throw new Error(
      `${cmd} ${args.join(' ')} failed (status ${p.status}): ${(p.stderr ?? '').trim().split('\n').slice(-5).join(' | ')}`,
    );
  }
  return JSON.parse(line) as Record<string, unknown>;
}

/**
 * node arguments that start the worker module `name` beside `callerUrl` (the caller's
 * import.meta.url): compiled JS directly, TypeScript (tests, tsx) through tsx.
 */
export function workerCommand(callerUrl: string, name: string): string[] {
  const ts = callerUrl.endsWith('.ts');
  const file = fileURLToPath(new URL(`./${name}.${ts ? 'ts' : 'js'}`, callerUrl));
  return ts ? ['--import', import.meta.resolve('tsx'), file] : [file];
}

/** True when `moduleUrl` is the script node was started with (a worker's entry point). */
export const isMain = (moduleUrl: string): boolean =>
  !!process.argv[1] && resolve(process.argv[1]) === fileURLToPath(moduleUrl);

/**
 * A real Redis for the queue tests (Debian's redis-server on a free loopback port, in a temporary
 * directory) that a test can kill and start again, with or without its data; and sprig workers
 * whose logs the tests read.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI } from './helpers.js';

const REDIS = '/usr/bin/redis-server';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function until(what: string, ok: () => boolean | Promise<boolean>, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    if (await ok()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => (c.end(), resolve(true)));
    c.once('error', () => resolve(false));
  });

/** A redis-server with an append-only file synced on every write, so a SIGKILL loses nothing. */
export class TestRedis {
  private proc?: ChildProcess;
  readonly url: string;
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  static async start(dir: string): Promise<TestRedis> {
    assert.ok(
      existsSync(REDIS),
      `${REDIS} is missing: install Debian's redis-server (scripts/setup.sh does)`,
    );
    const r = new TestRedis(await freePort(), dir);
    await r.up();
    return r;
  }

  async up(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', ''];
    const aof = ['--appendonly', 'yes', '--appendfsync', 'always'];
    this.proc = spawn(REDIS, [...args, ...aof, '--dir', this.dir], { stdio: 'ignore' });
    await until('redis-server', () => listening(this.port), 20);
  }

  /** SIGKILL: a crash. `keepData` false: its files go too, as after a restart without persistence. */
  async kill(keepData: boolean): Promise<void> {
    const p = this.proc!;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
    if (!keepData) rmSync(join(this.dir, 'appendonlydir'), { recursive: true, force: true });
  }

  stop(): void {
    this.proc?.kill('SIGKILL');
  }
}

export interface Proc {
  child: ChildProcess;
  /** stdout and stderr as they came. */
  out: () => string;
  stdout: () => string;
  exited: Promise<number | null>;
}

export function startCli(args: string[]): Proc {
  const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => ((out += s), (stdout += s)));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, out: () => out, stdout: () => stdout, exited };
}

/** Runs the CLI to its end, killing it after `seconds`; its exit code (null: killed) and output. */
export async function runCli(args: string[], seconds = 120): Promise<{ code: number | null; p: Proc }> {
  const p = startCli(args);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), seconds * 1000);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, p };
}

/** A worker on its own store, ready once it has said so. */
export async function startWorker(
  url: string,
  root: string,
  lockMs: number,
  stalledMs = 1000,
): Promise<Proc> {
  const w = startCli([
    'worker',
    '--queue',
    url,
    '--root',
    root,
    '--lock-duration',
    String(lockMs),
    '--stalled-interval',
    String(stalledMs),
  ]);
  await until('a worker', () => /worker \S+ on redis/.test(w.out()), 400);
  return w;
}

export const count = (text: string, needle: string) => text.split(needle).length - 1;

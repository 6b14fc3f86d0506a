/**
 * One sweep job: the experiment's own command in a child process (so a crash is contained), its
 * JSON result, and the index rows and metrics it left in the worker's store, ready to travel back.
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunStore } from '../store/store.js';
import { artifactPath, readJson } from '../store/artifacts.js';
import type { MetricRow, RunRow } from '../store/index-db.js';
import type { SweepRun } from './expand.js';

export interface JobOutcome {
  runId: string;
  kind: string;
  /** The command's --json output. */
  result: Record<string, unknown>;
  /** The run's directory's hyperparameters, for runs that keep no index row of their own. */
  hparams: unknown;
  /** Index rows of the run and its nested runs (levels, branches, worlds), with their metrics. */
  rows: RunRow[];
  metrics: MetricRow[];
  /** Where the artifacts are: the worker's host and store. */
  host: string;
  root: string;
  /** True when the run was already finished in that store (nothing trained). */
  cached: boolean;
}

/** A job that failed; `userError` when the command refused its inputs (exit 2), so retrying is useless. */
export class JobError extends Error {
  constructor(
    message: string,
    readonly userError: boolean,
  ) {
    super(message);
  }
}

const here = fileURLToPath(import.meta.url);
// the command line itself (a process, not an import: the CLI sits above the sweep)
const CHILD = join(dirname(here), '..', 'cli', `sweep-child${extname(here)}`);

export interface JobOptions {
  root: string;
  /** Engine threads of the child (SPRIG_THREADS). */
  threads?: number;
  /** Each line the command writes on stderr (its progress). */
  onLine?: (line: string) => void;
  /** Ends the child at once (the worker stops, or another worker took the run over). */
  signal?: AbortSignal;
}

export function runJob(run: Pick<SweepRun, 'runId' | 'kind' | 'args'>, o: JobOptions): Promise<JobOutcome> {
  const argv = [...process.execArgv, CHILD, run.kind, ...run.args, '--root', o.root, '--json'];
  const env = { ...process.env, ...(o.threads ? { SPRIG_THREADS: String(o.threads) } : {}) };
  const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = () => child.kill('SIGTERM');
  if (o.signal?.aborted) stop();
  o.signal?.addEventListener('abort', stop, { once: true });
  let stdout = '';
  const tail: string[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    const lines = (partial + s).split(/\r|\n/);
    partial = lines.pop()!;
    for (const line of lines.filter((l) => l.trim())) {
      tail.push(line);
      if (tail.length > 12) tail.shift();
      o.onLine?.(line);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new JobError(`cannot start sprig ${run.kind}: ${e.message}`, false)));
    child.on('close', (code, signal) => {
      o.signal?.removeEventListener('abort', stop);
      if (o.signal?.aborted) {
        reject(o.signal.reason);
        return;
      }
      if (code !== 0) {
        const why =
          tail
            .filter((l) => !/^\s*\d+%|it\/s/.test(l))
            .slice(-6)
            .join('\n') || 'no output';
        const how = signal ? `was killed by ${signal}` : `exited ${code}`;
        reject(new JobError(`sprig ${run.kind} ${run.runId} ${how}: ${why}`, code === 2));
        return;
      }
      try {
        resolve(collect(run, o.root, JSON.parse(stdout) as Record<string, unknown>));
      } catch (e) {
        reject(
          e instanceof JobError
            ? e
            : new JobError(`sprig ${run.kind} printed no JSON result: ${(e as Error).message}`, false),
        );
      }
    });
  });
}

/** The finished run's index rows and metrics, read from the store the command wrote. */
function collect(
  run: Pick<SweepRun, 'runId' | 'kind'>,
  root: string,
  result: Record<string, unknown>,
): JobOutcome {
  if (result.runId !== run.runId)
    throw new JobError(
      `sprig ${run.kind} trained ${String(result.runId)}, but the sweep planned ${run.runId} (src/sweep/kinds.ts disagrees with the command)`,
      true,
    );
  const store = new RunStore(root);
  try {
    const own = store.index.get(run.runId);
    const rows = [...(own ? [own] : []), ...descendants(store, run.runId)];
    const dir = typeof result.runDir === 'string' ? result.runDir : store.dir(run.runId);
    return {
      runId: run.runId,
      kind: run.kind,
      result,
      hparams: readJson(artifactPath(dir, 'hparams')) ?? null,
      rows,
      metrics: rows.flatMap((r) => store.index.metrics(r.runId)),
      host: hostname(),
      root: store.root,
      cached: result.cached === true,
    };
  } finally {
    store.close();
  }
}

/** Runs nested under a run in the index (lottery levels and branches, bootstrap worlds, gradflow runs). */
function descendants(store: RunStore, runId: string): RunRow[] {
  const out: RunRow[] = [];
  for (let frontier = [runId]; frontier.length;) {
    const kids = frontier.flatMap((id) => store.index.list({ parent: id }));
    out.push(...kids);
    frontier = kids.map((k) => k.runId);
  }
  return out;
}

/**
 * The embedded default: a sweep's jobs in local worker processes, no server. The store is the
 * only state: a run finished before is skipped, and one interrupted resumes from its checkpoint
 * when the sweep is started again (the command itself does both).
 */
import { availableParallelism } from 'node:os';
import type { RunStore } from '../store/store.js';
import type { Sweep } from './expand.js';
import { runJob } from './job.js';
import { isFinished, storedAccuracy, storedWarnings } from './ingest.js';
import { initialStates, type RunState } from './state.js';

/** Concurrent jobs and engine threads each: on 2 cores one job with both threads, as a single run would use. */
export function defaultWorkers(cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / 2));
}
export const threadsPerWorker = (workers: number, cores = availableParallelism()) =>
  Math.max(1, Math.floor(cores / workers));

export interface LocalOptions {
  workers: number;
  /** Called whenever a run changes state. */
  onChange?: (run: RunState, all: RunState[]) => void;
}

export async function runLocal(sweep: Sweep, store: RunStore, o: LocalOptions): Promise<RunState[]> {
  store.index.tagSweep(
    sweep.id,
    sweep.runs.map((r) => r.runId),
    sweep.name,
  );
  const states = initialStates(sweep, (run) => isFinished(store, run));
  for (const s of states.filter((s) => s.state === 'exists'))
    Object.assign(s, {
      testAccuracy: storedAccuracy(store, s.runId),
      warnings: storedWarnings(store, s.runId),
    });
  const pending = sweep.runs.filter((_, i) => states[i]!.state === 'queued');
  const stateOf = new Map(sweep.runs.map((r, i) => [r.key, states[i]!]));
  // Jobs of one run id (a lottery's branch sets) share its directory: never two at once.
  const busy = new Set<string>();
  const next = () => {
    const i = pending.findIndex((r) => !busy.has(r.runId));
    return i < 0 ? undefined : pending.splice(i, 1)[0];
  };
  const waiting: (() => void)[] = [];
  const threads = threadsPerWorker(o.workers);
  const change = (s: RunState, patch: Partial<RunState>) => {
    Object.assign(s, patch);
    o.onChange?.(s, states);
  };
  const worker = async (name: string) => {
    while (pending.length) {
      const run = next();
      if (!run) {
        await new Promise<void>((r) => waiting.push(r));
        continue;
      }
      busy.add(run.runId);
      const s = stateOf.get(run.key)!;
      change(s, { state: 'running', worker: name });
      try {
        const out = await runJob(run, {
          root: store.root,
          threads,
          onLine: (line) => (s.progress = line),
        });
        const acc = out.result.testAccuracy;
        const warnings = out.result.warnings as string[] | undefined;
        change(s, { state: 'finished', testAccuracy: typeof acc === 'number' ? acc : undefined, warnings });
      } catch (e) {
        change(s, { state: 'failed', error: (e as Error).message });
      }
      busy.delete(run.runId);
      for (const w of waiting.splice(0)) w();
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(o.workers, pending.length) }, (_, i) => worker(`local-${i + 1}`)),
  );
  return states;
}

/**
 * A local sweep's state from the store alone, training nothing (`--status` without --queue): a
 * finished run, one a live process trains now, one whose process died (stalled: started again, it
 * resumes), and the rest not started.
 */
export function localStates(sweep: Sweep, store: RunStore): RunState[] {
  return sweep.runs.map((run) => {
    const s: RunState = {
      runId: run.runId,
      label: run.label,
      values: run.values,
      state: 'queued',
      progress: 'not started',
    };
    if (isFinished(store, run))
      return { ...s, state: 'finished', progress: undefined, testAccuracy: storedAccuracy(store, run.runId) };
    const row = store.index.get(run.runId);
    const status = row && store.status(row);
    if (status === 'running') return { ...s, state: 'running', progress: undefined };
    if (status === 'interrupted')
      return { ...s, state: 'stalled', progress: 'interrupted: the sweep, run again, resumes it' };
    if (status === 'failed') return { ...s, state: 'failed', progress: undefined };
    return s;
  });
}

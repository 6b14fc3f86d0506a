/**
 * Results flowing back: a job's outcome (its result, index rows and metrics) written into the
 * submitting store's index, with the place its artifacts stay recorded in the result.
 */
import type { RunStore } from '../store/store.js';
import type { JobOutcome } from './job.js';

/** Where a run that a sweep worker trained keeps its artifacts (its result's `location`). */
export interface Location {
  host: string;
  root: string;
  runDir?: string;
}

export function ingest(store: RunStore, o: JobOutcome): void {
  const idx = store.index;
  const location: Location = { host: o.host, root: o.root, runDir: o.result.runDir as string | undefined };
  const own = o.rows.find((r) => r.runId === o.runId);
  idx.upsertRun({
    runId: o.runId,
    kind: own?.kind ?? o.kind,
    status: 'finished',
    parent: own?.parent ?? null,
    hparams: own?.hparams ?? o.hparams ?? {},
    result: { ...(own?.result ?? o.result), location },
  });
  for (const r of o.rows) {
    if (r.runId === o.runId) continue;
    idx.upsertRun({
      runId: r.runId,
      kind: r.kind,
      status: r.status,
      parent: r.parent,
      hparams: r.hparams,
      result: r.result ?? undefined,
    });
  }
  const byStep = new Map<string, Record<string, number>>();
  for (const m of o.metrics) {
    const key = `${m.runId}\u0000${m.step}`;
    byStep.set(key, { ...(byStep.get(key) ?? {}), [m.name]: m.value });
  }
  for (const [key, values] of byStep) {
    const [runId, step] = key.split('\u0000') as [string, string];
    idx.addMetrics(runId, Number(step), values);
  }
}

/**
 * A job counts as done when its run shows as finished (a run ingested from another worker's store
 * as its index row says; a local one only when its files pass their check) or its directory holds a
 * result that does. A corrupt run is not done: its job runs and fails naming the fix. A job whose
 * flags do more than its run id says (a lottery's branches) always runs: the command itself skips
 * what is stored.
 */
export function isFinished(store: RunStore, run: { runId: string; complete: boolean }): boolean {
  if (!run.complete) return false;
  const row = store.index.get(run.runId);
  if (row && store.status(row) === 'finished') return true;
  try {
    return store.finishedResult(store.dir(run.runId)) !== undefined;
  } catch {
    return false;
  }
}

/** A stored run's test accuracy, for the table's rows of runs that existed before the sweep. */
export function storedAccuracy(store: RunStore, runId: string): number | undefined {
  const acc = store.index.get(runId)?.result?.testAccuracy;
  return typeof acc === 'number' ? acc : undefined;
}

/** The location of a run this store knows only from a sweep worker's report, if it is one. */
export function remoteLocation(store: RunStore, runId: string): Location | undefined {
  const loc = store.index.get(runId)?.result?.location as Partial<Location> | undefined;
  return loc?.host && loc.root ? (loc as Location) : undefined;
}

/** What a stored run's result warns of (dst-warnings.ts), for the table's rows of runs that existed before. */
export function storedWarnings(store: RunStore, runId: string): string[] | undefined {
  const w = store.index.get(runId)?.result?.warnings;
  return Array.isArray(w) && w.length ? (w as string[]) : undefined;
}

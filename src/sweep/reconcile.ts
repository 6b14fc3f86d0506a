/**
 * The submitter's view of a queued sweep. Its store's index is the sweep's source of truth; Redis
 * is only the transport. Each run's state is read from, in order: a completed job or a published
 * outcome (brought into the index), the job's state, and the ledger's claim. A run that the index
 * lacks and that Redis has lost entirely (no job, no outcome, no claim: Redis restarted without its
 * data, or the job was removed) is queued again once it has stayed lost longer than a live worker
 * needs to put its claim and outcomes back (claim.ts, worker.ts).
 */
import type { RunStore } from '../store/store.js';
import type { Sweep, SweepRun } from './expand.js';
import type { JobOutcome } from './job.js';
import { ingest, isFinished, storedAccuracy, storedWarnings } from './ingest.js';
import { holder, isAlive, keys, longestBeat, outcome } from './ledger.js';
import { addJob, jobId, type JobProgress, type Remote, type SubmitOptions } from './queue.js';
import type { RunState } from './state.js';
import { DEFAULT_LOCK_MS } from './worker.js';

export async function queueStates(remote: Remote, sweep: Sweep, store: RunStore): Promise<RunState[]> {
  const states: RunState[] = [];
  const cancelled = (await remote.redis.exists(keys.cancelled(sweep.id))) === 1;
  for (const run of sweep.runs) {
    const s = await stateOf(remote, run, store);
    // a cancelled sweep's removed jobs are not lost: nobody is to queue them again
    states.push(s.lost && cancelled ? { ...s, state: 'cancelled', lost: undefined, progress: undefined } : s);
  }
  return states;
}

async function stateOf({ queue, redis }: Remote, run: SweepRun, store: RunStore): Promise<RunState> {
  const s: RunState = { runId: run.runId, label: run.label, values: run.values, state: 'queued' };
  const id = jobId(run.key);
  const job = await queue.getJob(id);
  const state = job ? await job.getState() : undefined;
  const out = state === 'completed' ? (job!.returnvalue as JobOutcome) : await outcome(redis, id);
  if (out) return finished(s, out, store);
  if (!job) {
    if (isFinished(store, run)) return fromIndex(s, store);
    const h = await holder(redis, id);
    if (h)
      return { ...s, ...(await held(redis, h)), progress: 'its job was lost by Redis; its worker goes on' };
    return { ...s, lost: true, progress: 'lost by Redis: queued again soon' };
  }
  const p = job.progress as Partial<JobProgress> | number;
  if (typeof p === 'object' && p) {
    s.worker = p.worker;
    s.progress = p.line;
  }
  if (state === 'failed') {
    s.state = 'failed';
    s.error = `${job.failedReason} (after ${job.attemptsMade} attempt${job.attemptsMade === 1 ? '' : 's'})`;
  } else if (state === 'active') {
    const h = (await holder(redis, id)) ?? s.worker;
    Object.assign(s, h ? await held(redis, h) : { state: 'running' });
  }
  return s;
}

/** Running under a live worker's claim, or stalled: its worker's heartbeat has stopped. */
async function held(redis: Remote['redis'], worker: string): Promise<Partial<RunState>> {
  return { state: (await isAlive(redis, worker)) ? 'running' : 'stalled', worker };
}

/** A finished job's outcome, brought into the index if it is not there yet. */
function finished(s: RunState, out: JobOutcome, store: RunStore): RunState {
  const row = store.index.get(out.runId);
  if (row?.status !== 'finished' || !row.result?.location) ingest(store, out);
  const acc = out.result.testAccuracy;
  const warnings = out.result.warnings;
  return {
    ...s,
    state: 'finished',
    worker: out.host,
    location: `${out.host}:${String(out.result.runDir ?? out.root)}`,
    ...(typeof acc === 'number' ? { testAccuracy: acc } : {}),
    ...(Array.isArray(warnings) ? { warnings: warnings as string[] } : {}),
  };
}

/** No job on the queue: finished by this sweep (its result names a worker's location) or before it. */
function fromIndex(s: RunState, store: RunStore): RunState {
  const loc = store.index.get(s.runId)?.result?.location as { host?: string; runDir?: string } | undefined;
  const stored = { testAccuracy: storedAccuracy(store, s.runId), warnings: storedWarnings(store, s.runId) };
  if (!loc?.host) return { ...s, state: 'exists', ...stored };
  return { ...s, state: 'finished', worker: loc.host, location: `${loc.host}:${loc.runDir}`, ...stored };
}

/**
 * Queues again the runs that stayed lost for two heartbeat lifetimes of the slowest worker: by
 * then a worker still training one has put its claim back, and one that finished it its outcome.
 */
export function requeuer(remote: Remote, sweep: Sweep, o: SubmitOptions, say: (line: string) => void) {
  const lostSince = new Map<string, number>();
  let lifetime = DEFAULT_LOCK_MS;
  return async (states: RunState[]): Promise<void> => {
    lifetime = (await longestBeat(remote.redis)) ?? lifetime;
    if (await remote.redis.exists(keys.cancelled(sweep.id))) return;
    const again: SweepRun[] = [];
    sweep.runs.forEach((run, i) => {
      if (!states[i]!.lost) return void lostSince.delete(run.key);
      const since = lostSince.get(run.key) ?? Date.now();
      lostSince.set(run.key, since);
      if (Date.now() - since >= 2 * lifetime) again.push(run);
    });
    for (const run of again) {
      await addJob(remote.queue, sweep, run, o);
      lostSince.delete(run.key);
    }
    if (again.length)
      say(`Redis lost ${again.length} queued run(s) (${again.map((r) => r.runId).join(', ')}): queued again`);
  };
}

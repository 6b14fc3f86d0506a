/**
 * `sprig sweep FILE --cancel`: the sweep's queued jobs (waiting, delayed, failed) are removed and
 * the sweep is marked cancelled, so no worker starts a job of it that another submitter queued
 * meanwhile and no submitter queues lost ones again. Runs in progress finish; submitting the sweep
 * again lifts the mark.
 */
import type { Sweep } from './expand.js';
import { keys } from './ledger.js';
import { jobId, type Remote } from './queue.js';

export interface Cancelled {
  removed: number;
  /** Left to finish: a run half trained is worth its checkpoint. */
  running: number;
  finished: number;
}

export async function cancelSweep({ queue, redis }: Remote, sweep: Sweep): Promise<Cancelled> {
  await redis.set(keys.cancelled(sweep.id), new Date().toISOString());
  const n: Cancelled = { removed: 0, running: 0, finished: 0 };
  for (const run of sweep.runs) {
    const job = await queue.getJob(jobId(run.key));
    if (!job) continue;
    const state = await job.getState();
    if (state === 'active') n.running++;
    else if (state === 'completed') n.finished++;
    else {
      await job.remove();
      n.removed++;
    }
  }
  return n;
}

export async function isCancelled({ redis }: Remote, sweep: Sweep): Promise<boolean> {
  return (await redis.exists(keys.cancelled(sweep.id))) === 1;
}

/**
 * The distributed mode's side of the submitter: BullMQ on Redis. A job's id is derived from its
 * run id, so submitting a sweep again queues nothing new; completed jobs are kept, because once
 * removed their ids no longer block duplicates. Retries, backoff, locks and stalled-job recovery are
 * BullMQ's; this file only names jobs, reads their state and brings results home.
 */
import { connect } from 'node:net';
import type { ConnectionOptions, Job, Queue } from 'bullmq';
import { SprigError } from '../util/errors.js';
import type { RunStore } from '../store/store.js';
import type { Sweep, SweepRun } from './expand.js';
import type { JobOutcome } from './job.js';
import { ingest, isFinished, storedAccuracy } from './ingest.js';
import type { RunState } from './state.js';

export const QUEUE_NAME = 'sprig-runs';

/** What a job carries: enough for any worker to run the command. */
export interface JobData {
  runId: string;
  kind: SweepRun['kind'];
  args: string[];
  sweepId: string;
}

/** Progress a worker reports on its job. */
export interface JobProgress {
  worker: string;
  line?: string;
}

/** BullMQ job ids may not contain ':' nor be integers: a prefixed run id is neither. */
export const jobId = (key: string) => `run-${key.replaceAll(':', '_')}`;

export function parseQueueUrl(url: string): { host: string; port: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SprigError(`--queue '${url}' is not a URL`, 'pass e.g. --queue redis://127.0.0.1:6379');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new SprigError(
      `--queue '${url}' is not a redis:// URL`,
      'pass e.g. --queue redis://127.0.0.1:6379',
    );
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) };
}

/** Fails within `timeoutMs` when nothing listens at the URL (ioredis alone would retry forever). */
export function probe(url: string, timeoutMs = 3000): Promise<void> {
  const { host, port } = parseQueueUrl(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (why: string) => {
      socket.destroy();
      reject(
        new SprigError(
          `nothing answers at ${url} (${why})`,
          `start Redis there (Debian: \`redis-server --port ${port}\`) or pass the right --queue URL`,
        ),
      );
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer in ${timeoutMs / 1000} s`));
    socket.once('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
  });
}

export function connection(url: string): ConnectionOptions {
  parseQueueUrl(url);
  return { url, maxRetriesPerRequest: null };
}

export async function openQueue(url: string): Promise<Queue<JobData>> {
  await probe(url);
  // loaded here, not at startup: bullmq and ioredis cost every sprig command ~0.2 s to import
  const { Queue } = await import('bullmq');
  const queue = new Queue<JobData>(QUEUE_NAME, { connection: connection(url) });
  await queue.waitUntilReady();
  return queue;
}

export interface SubmitOptions {
  /** Tries per job before it counts as failed. */
  attempts: number;
  /** First retry delay in ms; it doubles with each retry. */
  backoffMs: number;
}

export interface Submitted {
  added: number;
  alreadyQueued: number;
  retried: number;
  finishedHere: number;
}

/** Queues each run not yet finished in this store; a run already queued is left alone, a failed one retried. */
export async function submit(
  queue: Queue<JobData>,
  sweep: Sweep,
  store: RunStore,
  o: SubmitOptions,
): Promise<Submitted> {
  const n: Submitted = { added: 0, alreadyQueued: 0, retried: 0, finishedHere: 0 };
  store.index.tagSweep(
    sweep.id,
    sweep.runs.map((r) => r.runId),
    sweep.name,
  );
  for (const run of sweep.runs) {
    if (isFinished(store, run)) {
      n.finishedHere++;
      continue;
    }
    const existing = await queue.getJob(jobId(run.key));
    if (existing && (await existing.getState()) === 'failed') {
      await existing.retry('failed', { resetAttemptsMade: true });
      n.retried++;
    } else if (existing) n.alreadyQueued++;
    else {
      const data: JobData = { runId: run.runId, kind: run.kind, args: run.args, sweepId: sweep.id };
      await queue.add(run.kind, data, {
        jobId: jobId(run.key),
        attempts: o.attempts,
        backoff: { type: 'exponential', delay: o.backoffMs },
        removeOnComplete: false,
        removeOnFail: false,
      });
      n.added++;
    }
  }
  return n;
}

/** Each run's state on the queue; completed jobs' results are written into this store's index. */
export async function queueStates(queue: Queue<JobData>, sweep: Sweep, store: RunStore): Promise<RunState[]> {
  const states: RunState[] = [];
  for (const run of sweep.runs) {
    const s: RunState = { runId: run.runId, label: run.label, state: 'queued' };
    const job = await queue.getJob(jobId(run.key));
    if (!job) {
      s.state = isFinished(store, run) ? 'exists' : 'queued';
      if (s.state === 'queued') s.progress = 'not submitted';
      else s.testAccuracy = storedAccuracy(store, run.runId);
    } else await fromJob(job, s, store);
    states.push(s);
  }
  return states;
}

async function fromJob(job: Job<JobData>, s: RunState, store: RunStore): Promise<void> {
  const state = await job.getState();
  const p = job.progress as Partial<JobProgress> | number;
  if (typeof p === 'object' && p) {
    s.worker = p.worker;
    s.progress = p.line;
  }
  if (state === 'completed') {
    const out = job.returnvalue as unknown as JobOutcome;
    if (store.index.get(out.runId)?.status !== 'finished' || !store.index.get(out.runId)?.result?.location)
      ingest(store, out);
    s.state = 'finished';
    s.worker = `${out.host}`;
    s.location = `${out.host}:${String(out.result.runDir ?? out.root)}`;
    const acc = out.result.testAccuracy;
    if (typeof acc === 'number') s.testAccuracy = acc;
  } else if (state === 'failed') {
    s.state = 'failed';
    s.error = `${job.failedReason} (after ${job.attemptsMade} attempt${job.attemptsMade === 1 ? '' : 's'})`;
  } else if (state === 'active') s.state = 'running';
  else s.state = 'queued';
}

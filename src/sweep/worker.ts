/**
 * A queue worker: pulls sweep jobs from BullMQ and runs each in a child process against its own
 * store. BullMQ holds the job's lock while it runs, retries a failure with backoff, and hands the
 * job of a worker that died (its lock expired) to another worker. Before training, a job checks
 * with the sweep's ledger (claim.ts), so a run handed over while its first worker still trains it
 * is not trained twice. Stopping hands the jobs in progress back to the queue at once.
 */
import { hostname } from 'node:os';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunStore } from '../store/store.js';
import { runJob, JobError, type JobOutcome } from './job.js';
import { connection, probe, QUEUE_NAME, type JobData, type JobProgress } from './queue.js';
import { trainOnce, ClaimLost, type ClaimContext, type Claimed } from './claim.js';
import { beat, keys, ledgerClient, republish } from './ledger.js';
import { quietErrors } from './outage.js';

export interface WorkerOptions {
  url: string;
  store: RunStore;
  concurrency: number;
  threads: number;
  /** How long a job's lock lasts without renewal, i.e. how soon a dead worker's job is taken over (ms). */
  lockDuration: number;
  /** How often this worker looks for stalled jobs (ms). */
  stalledInterval: number;
  log: (line: string) => void;
}

export interface SprigWorker {
  name: string;
  /** Hands the jobs in progress back to the queue (their children ended), then disconnects. */
  stop(): Promise<void>;
}

/** How long a job's lock and a worker's heartbeat last without renewal, unless --lock-duration says. */
export const DEFAULT_LOCK_MS = 30_000;

/** Stalls are counted against the job's own --attempts (starts), not BullMQ's per-worker limit. */
const NO_STALL_LIMIT = 1_000_000;

class HandBack extends Error {}

export async function startWorker(o: WorkerOptions): Promise<SprigWorker> {
  await probe(o.url);
  const { UnrecoverableError, WaitingError, Worker } = await import('bullmq'); // not at startup (queue.ts)
  const name = `${hostname()}:${process.pid}`;
  const redis = await ledgerClient(o.url, quietErrors(o.log));
  const stopping = new AbortController();
  const ctx: ClaimContext = {
    redis,
    worker: name,
    aliveMs: o.lockDuration,
    log: o.log,
    stopping: stopping.signal,
  };
  // Outcomes trained here, published again on each beat should Redis lose them before the submitter read them.
  const recent = new Map<string, JobOutcome>();
  const beats = heartbeat(redis, name, o.lockDuration, recent);
  // Jobs this worker trains now: BullMQ may hand one back to it while it runs (concurrency > 1).
  const running = new Map<string, Promise<Claimed>>();

  const process_ = async (job: Job<JobData, JobOutcome>, token?: string) => {
    const { runId, sweepId } = job.data;
    const id = job.id!;
    const attempts = job.opts.attempts ?? 1;
    const starts = job.attemptsStarted - (job.data.handBacks ?? 0);
    if (starts > attempts)
      throw new UnrecoverableError(
        `${runId} was started ${starts - 1} times (failed or its worker died) and --attempts is ${attempts}`,
      );
    if (await redis.exists(keys.cancelled(sweepId)))
      throw new UnrecoverableError(`sweep ${sweepId} was cancelled (sprig sweep FILE --cancel)`);
    o.log(`start ${runId} (attempt ${starts})`);
    await job.updateProgress({ worker: name } satisfies JobProgress);
    // a second delivery of a job this worker trains now waits for that training
    const again = running.get(id);
    const work = again ?? trainOnce(ctx, id, runId, (signal) => train(o, job, name, signal));
    if (!again) running.set(id, work);
    try {
      const { out, trainedBy } = await work;
      if (trainedBy === 'me' && !again) remember(recent, id, out);
      const how = out.cached
        ? 'stored result, nothing trained'
        : trainedBy === 'me' && !again
          ? 'trained'
          : `trained ${again ? 'by this worker under an earlier delivery' : `earlier on ${trainedBy}`}; nothing trained now`;
      o.log(`done ${runId} (${how})`);
      return out;
    } catch (e) {
      if (stopping.signal.aborted && token) {
        await job.updateData({ ...job.data, handBacks: (job.data.handBacks ?? 0) + 1 });
        await job.moveToWait(token);
        o.log(`${runId} handed back to the queue`);
        throw new WaitingError();
      }
      o.log(`fail ${runId}: ${(e as Error).message.split('\n')[0]}`);
      if ((e instanceof JobError && e.userError) || e instanceof ClaimLost)
        throw new UnrecoverableError((e as Error).message);
      throw e;
    } finally {
      if (!again) running.delete(id);
    }
  };
  const worker = new Worker<JobData, JobOutcome>(QUEUE_NAME, process_, {
    connection: connection(o.url),
    concurrency: o.concurrency,
    lockDuration: o.lockDuration,
    stalledInterval: o.stalledInterval,
    maxStalledCount: NO_STALL_LIMIT,
    name,
  });
  worker.on('error', quietErrors(o.log));
  await worker.waitUntilReady();
  return {
    name,
    async stop() {
      stopping.abort(new HandBack('the worker is stopping'));
      await worker.close();
      clearInterval(beats);
      await redis.quit().catch(() => {});
    },
  };
}

/** Runs the job's command in a child process, reporting its progress on the job. */
async function train(
  o: WorkerOptions,
  job: Job<JobData, JobOutcome>,
  name: string,
  signal: AbortSignal,
): Promise<JobOutcome> {
  const { runId, kind, args } = job.data;
  let last = 0;
  return runJob(
    { runId, kind, args },
    {
      root: o.store.root,
      threads: o.threads,
      signal,
      onLine: (line) => {
        // The first progress line says where training starts (a resumed run past epoch 1).
        if (!last) o.log(`${runId}: ${line}`);
        if (Date.now() - last < 1000) return;
        last = Date.now();
        job.updateProgress({ worker: name, line } satisfies JobProgress).catch(() => {});
      },
    },
  );
}

const REMEMBERED = 200;
function remember(recent: Map<string, JobOutcome>, id: string, out: JobOutcome): void {
  recent.set(id, out);
  if (recent.size > REMEMBERED) recent.delete(recent.keys().next().value!);
}

/**
 * This worker's heartbeat key, renewed four times per lifetime (a beat still pending is not
 * doubled), and its recent outcomes put back where Redis lost them (SET NX leaves present ones).
 */
function heartbeat(
  redis: Redis,
  name: string,
  ttlMs: number,
  recent: Map<string, JobOutcome>,
): NodeJS.Timeout {
  let pending = false;
  const once = () => {
    if (pending) return;
    pending = true;
    beat(redis, name, ttlMs)
      .then(() => Promise.all([...recent].map(([id, out]) => republish(redis, id, out))))
      .catch(() => {})
      .finally(() => (pending = false));
  };
  once();
  return setInterval(once, ttlMs / 4);
}

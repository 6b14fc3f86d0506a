/**
 * The distributed mode's side of the submitter: BullMQ on Redis. A job's id is derived from its
 * run id, so submitting a sweep again queues nothing new; completed jobs are kept, because once
 * removed their ids no longer block duplicates. Retries, backoff, locks and stalled-job recovery are
 * BullMQ's; this file only names jobs, reads their state and brings results home.
 */
import { connect } from 'node:net';
import type { ConnectionOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { SprigError } from '../util/errors.js';
import type { RunStore } from '../store/store.js';
import type { Sweep, SweepRun } from './expand.js';
import { isFinished } from './ingest.js';
import { keys, ledgerClient } from './ledger.js';
import { quietErrors } from './outage.js';

export const QUEUE_NAME = 'sprig-runs';

/** What a job carries: enough for any worker to run the command. */
export interface JobData {
  runId: string;
  kind: SweepRun['kind'];
  args: string[];
  sweepId: string;
  /** Times a stopping worker handed the job back: those starts do not count against --attempts. */
  handBacks?: number;
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

/**
 * Fails within `timeoutMs` unless a Redis answers at the URL: a PING must get a Redis reply
 * ('+PONG', or an error such as '-NOAUTH' from a Redis with a password). ioredis alone would retry
 * forever where nothing listens, and loop on "Protocol error" where something else does.
 */
export function probe(url: string, timeoutMs = 3000): Promise<void> {
  const { host, port } = parseQueueUrl(url);
  const noRedis = `start Redis there (Debian: \`redis-server --port ${port}\`) or pass the right --queue URL`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let reply = '';
    const fail = (what: string, why: string) => {
      socket.destroy();
      reject(new SprigError(`${what} at ${url} (${why})`, noRedis));
    };
    socket.setTimeout(timeoutMs, () =>
      socket.readyState !== 'open'
        ? fail('nothing answers', `no answer in ${timeoutMs / 1000} s`)
        : fail('no Redis answers', `no reply to PING in ${timeoutMs / 1000} s`),
    );
    socket.once('error', (e: NodeJS.ErrnoException) => fail('nothing answers', e.code ?? e.message));
    socket.once('connect', () => {
      socket.write('PING\r\n');
      socket.once('close', () => fail('a server that is not Redis answers', 'it hung up on a PING'));
    });
    socket.setEncoding('latin1').on('data', (d: string) => {
      reply += d;
      if (!reply.includes('\n') && reply.length < 64) return;
      const first = reply.split(/\r?\n/)[0]!.slice(0, 40);
      if (/^[+-]/.test(first)) {
        socket.destroy();
        resolve();
      } else fail('a server that is not Redis answers', `it said ${JSON.stringify(first)} to PING`);
    });
  });
}

export function connection(url: string): ConnectionOptions {
  parseQueueUrl(url);
  return { url, maxRetriesPerRequest: null };
}

/** The submitter's side of the queue: BullMQ's jobs, and the sweep's ledger beside them. */
export interface Remote {
  queue: Queue<JobData>;
  redis: Redis;
  close(): Promise<void>;
}

/** Opens the queue; Redis errors later (an outage) are said once per outage, in one line. */
export async function openRemote(url: string, say: (line: string) => void): Promise<Remote> {
  await probe(url);
  // loaded here, not at startup: bullmq and ioredis cost every sprig command ~0.2 s to import
  const { Queue } = await import('bullmq');
  const onError = quietErrors(say);
  const queue = new Queue<JobData>(QUEUE_NAME, { connection: connection(url) });
  queue.on('error', onError);
  await queue.waitUntilReady();
  const redis = await ledgerClient(url, onError);
  return {
    queue,
    redis,
    async close() {
      await queue.close();
      await redis.quit().catch(() => {});
    },
  };
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

/**
 * Queues each run not yet finished in this store; a run already queued is left alone, a failed one
 * retried. Submitting a cancelled sweep again lifts its cancellation.
 */
export async function submit(
  { queue, redis }: Remote,
  sweep: Sweep,
  store: RunStore,
  o: SubmitOptions,
): Promise<Submitted> {
  await redis.del(keys.cancelled(sweep.id));
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
      await addJob(queue, sweep, run, o);
      n.added++;
    }
  }
  return n;
}

export async function addJob(
  queue: Queue<JobData>,
  sweep: Sweep,
  run: SweepRun,
  o: SubmitOptions,
): Promise<void> {
  const data: JobData = { runId: run.runId, kind: run.kind, args: run.args, sweepId: sweep.id };
  await queue.add(run.kind, data, {
    jobId: jobId(run.key),
    attempts: o.attempts,
    backoff: { type: 'exponential', delay: o.backoffMs },
    removeOnComplete: false,
    removeOnFail: false,
  });
}

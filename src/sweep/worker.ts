/**
 * A queue worker: pulls sweep jobs from BullMQ and runs each in a child process against its own
 * store. BullMQ holds the job's lock while it runs, retries a failure with backoff, and hands the
 * job of a worker that died (its lock expired) to another worker.
 */
import { hostname } from 'node:os';
import type { Job, Worker } from 'bullmq';
import type { RunStore } from '../store/store.js';
import { runJob, JobError, type JobOutcome } from './job.js';
import { connection, probe, QUEUE_NAME, type JobData, type JobProgress } from './queue.js';

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

export async function startWorker(o: WorkerOptions): Promise<Worker<JobData, JobOutcome>> {
  await probe(o.url);
  const { UnrecoverableError, Worker } = await import('bullmq'); // not at startup (queue.ts)
  const name = `${hostname()}:${process.pid}`;
  const process_ = async (job: Job<JobData, JobOutcome>) => {
    const { runId, kind, args } = job.data;
    o.log(`start ${runId} (attempt ${job.attemptsMade + 1})`);
    await job.updateProgress({ worker: name } satisfies JobProgress);
    let last = 0;
    try {
      const out = await runJob(
        { runId, kind, args },
        {
          root: o.store.root,
          threads: o.threads,
          onLine: (line) => {
            // The first progress line says where training starts (a resumed run past epoch 1).
            if (!last) o.log(`${runId}: ${line}`);
            if (Date.now() - last < 1000) return;
            last = Date.now();
            job.updateProgress({ worker: name, line } satisfies JobProgress).catch(() => {});
          },
        },
      );
      o.log(`done ${runId} (${out.cached ? 'stored result, nothing trained' : 'trained'})`);
      return out;
    } catch (e) {
      o.log(`fail ${runId}: ${(e as Error).message.split('\n')[0]}`);
      if (e instanceof JobError && e.userError) throw new UnrecoverableError(e.message);
      throw e;
    }
  };
  const worker = new Worker<JobData, JobOutcome>(QUEUE_NAME, process_, {
    connection: connection(o.url),
    concurrency: o.concurrency,
    lockDuration: o.lockDuration,
    stalledInterval: o.stalledInterval,
    // A job whose worker died is given back this many times before it counts as failed.
    maxStalledCount: 2,
    name,
  });
  worker.on('error', (e) => o.log(`queue error: ${e.message}`));
  await worker.waitUntilReady();
  return worker;
}

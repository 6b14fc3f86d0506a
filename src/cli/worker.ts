/** `sprig worker --queue URL`: run sweep jobs from a BullMQ queue on Redis, on this machine. */
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { RunStore, defaultRoot } from '../store/store.js';
import { DEFAULT_LOCK_MS, startWorker } from '../sweep/worker.js';
import { int } from './flags.js';

interface WorkerFlags {
  queue: string;
  root: string;
  concurrency: number;
  threads?: number;
  lockDuration: number;
  stalledInterval: number;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('run sweep jobs from a BullMQ queue on Redis (start one per machine; stop with Ctrl-C)')
    .requiredOption('--queue <url>', 'the Redis the sweep was submitted to, e.g. redis://10.0.0.5:6379')
    .option(
      '--root <dir>',
      'run store this worker writes to (shared storage lets another worker resume its runs)',
      defaultRoot(),
    )
    .option('--concurrency <n>', 'jobs at once on this machine', int, 1)
    .option('--threads <n>', 'engine threads per job (default: cores / concurrency)', int)
    .option(
      '--lock-duration <ms>',
      "how soon a dead worker's job goes to another worker (and its heartbeat's lifetime)",
      int,
      DEFAULT_LOCK_MS,
    )
    .option('--stalled-interval <ms>', 'how often to look for jobs of dead workers', int, 30000)
    .option('--quiet', 'no log lines')
    .action(async (o: WorkerFlags) => {
      const store = new RunStore(o.root);
      const threads = o.threads ?? Math.max(1, Math.floor(availableParallelism() / o.concurrency));
      const log = (line: string) => {
        if (!o.quiet) process.stdout.write(`${new Date().toISOString()} ${line}\n`);
      };
      const worker = await startWorker({
        url: o.queue,
        store,
        concurrency: o.concurrency,
        threads,
        lockDuration: o.lockDuration,
        stalledInterval: o.stalledInterval,
        log,
      });
      log(
        `worker ${worker.name} on ${o.queue}, store ${store.root}, ${o.concurrency} job(s) × ${threads} thread(s)`,
      );
      const stop = async () => {
        log('stopping: a job in progress goes back to the queue now');
        await worker.stop();
        store.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await new Promise(() => {}); // runs until stopped
    });
}

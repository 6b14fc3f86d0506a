/**
 * Entry of a sweep job's child process: the ordinary `sprig <kind> …` command line, plus a
 * watchdog that ends the child when its parent (a sweep or a worker) dies, so a killed worker
 * leaves no orphan training the run that another worker is about to resume. The watchdog is a
 * thread because training blocks the main thread's event loop.
 */
import { Worker } from 'node:worker_threads';

const parent = process.ppid;
new Worker(
  `setInterval(() => { if (process.ppid !== ${parent}) process.kill(${process.pid}, 'SIGKILL'); }, 250);`,
  { eval: true },
).unref();

await import('./main.js');

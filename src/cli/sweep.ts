/** `sprig sweep FILE`: many runs from one file, in local worker processes or on a Redis queue. */
import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import { loadSweepFile, withSets } from '../sweep/file.js';
import { expandSweep, type Sweep } from '../sweep/expand.js';
import { defaultWorkers, runLocal } from '../sweep/local.js';
import { isFinished } from '../sweep/ingest.js';
import { openQueue, queueStates, submit, type Submitted } from '../sweep/queue.js';
import { stateTable, summarise, type RunState } from '../sweep/state.js';
import { addOutputFlags, int, type CommonOptions } from './flags.js';
import { emit, table } from './output.js';

interface SweepOptions extends CommonOptions {
  workers?: number;
  queue?: string;
  status?: boolean;
  wait: boolean;
  attempts: number;
  dryRun?: boolean;
  set?: string[];
}

export function register(program: Command): void {
  addOutputFlags(
    program
      .command('sweep')
      .argument('<file>', 'sweep file (YAML or JSON): kind, base, grid and/or overrides, seeds')
      .description(
        'run many experiments from one file: in local worker processes, or across machines on a BullMQ/Redis queue',
      ),
  )
    .option('--workers <n>', `local worker processes (default ${defaultWorkers()}: one per 2 cores)`, int)
    .option('--queue <url>', 'submit to the BullMQ queue on this Redis, e.g. redis://127.0.0.1:6379')
    .option(
      '--status',
      "with --queue: show the submitted sweep's state and bring finished results into --root",
    )
    .option('--no-wait', 'with --queue: submit and return without following the runs')
    .option('--attempts <n>', 'with --queue: tries per run before it counts as failed', int, 3)
    .option('--dry-run', 'list the runs and how many exist already; run nothing')
    .option(
      '--set <key=value>',
      'change a base hyperparameter, e.g. --set trainSteps=1ep (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .action(async (file: string, o: SweepOptions) => {
      // Every check before anything runs.
      const sweep = expandSweep(withSets(loadSweepFile(file), o.set ?? []), file);
      const store = new RunStore(o.root);
      try {
        if (o.dryRun) return dryRun(sweep, store, o);
        const { states, submitted } = o.queue
          ? await viaQueue(sweep, store, o.queue, o)
          : { states: await locally(sweep, store, o), submitted: undefined };
        const summary = { ...summarise(sweep, states), ...(submitted ? { submitted } : {}) };
        emit(o.json, summary, () => stateTable(summary));
        if (summary.counts.failed) process.exitCode = 1;
      } finally {
        store.close();
      }
    });
}

function dryRun(sweep: Sweep, store: RunStore, o: SweepOptions): void {
  const runs = sweep.runs.map((r) => ({ ...r, exists: isFinished(store, r) }));
  const existing = runs.filter((r) => r.exists).length;
  emit(
    o.json,
    { sweepId: sweep.id, name: sweep.name, kind: sweep.kind, existing, duplicates: sweep.duplicates, runs },
    () =>
      [
        `sweep ${sweep.name} (${sweep.id}), ${sweep.kind}: ${runs.length} runs, ${existing} exist already` +
          (sweep.duplicates ? ` (${sweep.duplicates} points named a run already listed)` : ''),
        table(
          ['run', 'values', 'exists', 'command'],
          runs.map((r) => [
            r.runId,
            r.label || '–',
            r.exists ? 'yes' : 'no',
            `sprig ${r.kind} ${r.args.join(' ')}`,
          ]),
        ),
      ].join('\n'),
  );
}

/** One line per state change, on stderr. */
function reporter(o: SweepOptions, total: number) {
  return (s: RunState, all: RunState[]) => {
    if (o.quiet || o.json) return;
    const done = all.filter((r) => ['finished', 'failed', 'exists'].includes(r.state)).length;
    const where = s.state === 'running' && s.worker ? ` on ${s.worker}` : '';
    const why = s.state === 'failed' ? `: ${(s.error ?? '').split('\n')[0]}` : '';
    process.stderr.write(`[${done}/${total}] ${s.runId} ${s.label}: ${s.state}${where}${why}\n`);
  };
}

async function locally(sweep: Sweep, store: RunStore, o: SweepOptions): Promise<RunState[]> {
  const workers = Math.max(1, o.workers ?? defaultWorkers());
  if (!o.quiet && !o.json)
    process.stderr.write(
      `sprig sweep ${sweep.name}: ${sweep.runs.length} ${sweep.kind} runs, ${workers} local worker(s)\n`,
    );
  return runLocal(sweep, store, { workers, onChange: reporter(o, sweep.runs.length) });
}

async function viaQueue(
  sweep: Sweep,
  store: RunStore,
  url: string,
  o: SweepOptions,
): Promise<{ states: RunState[]; submitted?: Submitted }> {
  const queue = await openQueue(url);
  try {
    const say = (line: string) => (o.quiet || o.json ? undefined : process.stderr.write(line + '\n'));
    if (!o.status) {
      const n = await submit(queue, sweep, store, { attempts: o.attempts, backoffMs: 2000 });
      say(
        `sprig sweep ${sweep.name} (${sweep.id}) on ${url}: queued ${n.added}, already queued ${n.alreadyQueued}, ` +
          `retried ${n.retried}, finished here already ${n.finishedHere}`,
      );
      const states = o.wait
        ? await follow(queue, sweep, store, reporter(o, sweep.runs.length))
        : await queueStates(queue, sweep, store);
      return { states, submitted: n };
    }
    return { states: await queueStates(queue, sweep, store) };
  } finally {
    await queue.close();
  }
}

/** Polls the queue until every run is finished or failed, reporting changes and ingesting results. */
async function follow(
  queue: Awaited<ReturnType<typeof openQueue>>,
  sweep: Sweep,
  store: RunStore,
  report: (s: RunState, all: RunState[]) => void,
): Promise<RunState[]> {
  const seen = new Map<string, string>();
  for (;;) {
    const states = await queueStates(queue, sweep, store);
    for (const s of states) {
      const key = `${s.state} ${s.worker ?? ''}`;
      if (seen.get(s.runId) !== key) report(s, states);
      seen.set(s.runId, key);
    }
    if (states.every((s) => s.state === 'finished' || s.state === 'failed' || s.state === 'exists'))
      return states;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

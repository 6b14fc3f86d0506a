/** `sprig sweep FILE`: many runs from one file, in local worker processes or on a Redis queue. */
import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import { loadSweepFile, withSets } from '../sweep/file.js';
import { expandSweep, type Sweep } from '../sweep/expand.js';
import { defaultWorkers, localStates, runLocal } from '../sweep/local.js';
import { isFinished } from '../sweep/ingest.js';
import { openRemote, submit, type Remote, type Submitted } from '../sweep/queue.js';
import { queueStates, requeuer } from '../sweep/reconcile.js';
import { cancelSweep, isCancelled, type Cancelled } from '../sweep/cancel.js';
import { stateTable, type RunState, type SweepSummary } from '../sweep/state.js';
import { boardOf, settled, watch } from './sweep-board.js';
import { addOutputFlags, int, type CommonOptions } from './flags.js';
import { emit, table } from './output.js';
import { SprigError } from '../util/errors.js';

interface SweepOptions extends CommonOptions {
  workers?: number;
  queue?: string;
  status?: boolean;
  cancel?: boolean;
  wait: boolean;
  attempts: number;
  dryRun?: boolean;
  set?: string[];
  watch?: boolean;
  metric: string;
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
      "show the sweep's state, training nothing (with --queue: the queue's, bringing finished results into --root)",
    )
    .option('--watch', 'with --status: redraw it every 2 s until no run is queued or running')
    .option('--metric <name>', 'result field that ranks the runs (best run, grid figure)', 'testAccuracy')
    .option('--cancel', "with --queue: remove the sweep's queued jobs (runs in progress finish)")
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
        if (o.cancel && !o.queue)
          throw new SprigError(
            '--cancel needs --queue',
            'a local sweep stops with Ctrl-C; pass the --queue URL it was submitted to',
          );
        const board = boardOf(store, sweep, o.metric);
        const { states, ...extra } = o.queue
          ? await viaQueue(sweep, store, o.queue, o, board)
          : {
              states: o.status
                ? await statusOf(() => localStates(sweep, store), board, o)
                : await locally(sweep, store, o, board),
            };
        const summary = { ...board(states), ...extra };
        // --watch --json: one JSON document per line, the last one too
        if (o.watch && o.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else emit(o.json, summary, () => stateTable(summary));
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

/** One line per state change, on stderr; with a board, the status is saved for the dashboard too. */
function reporter(o: SweepOptions, total: number, board?: Board) {
  return (s: RunState, all: RunState[]) => {
    board?.(all);
    if (o.quiet || o.json) return;
    const done = all.filter((r) => ['finished', 'failed', 'exists'].includes(r.state)).length;
    const where = s.state === 'running' && s.worker ? ` on ${s.worker}` : '';
    const why = s.state === 'failed' ? `: ${(s.error ?? '').split('\n')[0]}` : '';
    process.stderr.write(`[${done}/${total}] ${s.runId} ${s.label}: ${s.state}${where}${why}\n`);
  };
}

type Board = (states: RunState[]) => SweepSummary;

/** `--status`: the states once, or with --watch until every run is settled. */
async function statusOf(read: () => Promise<RunState[]> | RunState[], board: Board, o: SweepOptions) {
  return o.watch ? watch(read, board, o.json) : read();
}

async function locally(sweep: Sweep, store: RunStore, o: SweepOptions, board: Board): Promise<RunState[]> {
  const workers = Math.max(1, o.workers ?? defaultWorkers());
  if (!o.quiet && !o.json)
    process.stderr.write(
      `sprig sweep ${sweep.name}: ${sweep.runs.length} ${sweep.kind} runs, ${workers} local worker(s)\n`,
    );
  const report = reporter(o, sweep.runs.length);
  return runLocal(sweep, store, {
    workers,
    onChange: (s, all) => {
      report(s, all);
      board(all); // the dashboard's sweep page follows
    },
  });
}

async function viaQueue(
  sweep: Sweep,
  store: RunStore,
  url: string,
  o: SweepOptions,
  board: Board,
): Promise<{ states: RunState[]; submitted?: Submitted; cancelled?: Cancelled }> {
  const say = (line: string) => (o.quiet || o.json ? undefined : process.stderr.write(line + '\n'));
  const remote = await openRemote(url, say);
  try {
    if (o.cancel) {
      const cancelled = await cancelSweep(remote, sweep);
      say(
        `sprig sweep ${sweep.name} (${sweep.id}) cancelled on ${url}: removed ${cancelled.removed} queued job(s); ` +
          `${cancelled.running} running will finish`,
      );
      return { states: await queueStates(remote, sweep, store), cancelled };
    }
    if (o.status) return { states: await statusOf(() => queueStates(remote, sweep, store), board, o) };
    const submitOptions = { attempts: o.attempts, backoffMs: 2000 };
    const n = await submit(remote, sweep, store, submitOptions);
    say(
      `sprig sweep ${sweep.name} (${sweep.id}) on ${url}: queued ${n.added}, already queued ${n.alreadyQueued}, ` +
        `retried ${n.retried}, finished here already ${n.finishedHere}`,
    );
    const states = o.wait
      ? await follow(
          remote,
          sweep,
          store,
          reporter(o, sweep.runs.length, board),
          requeuer(remote, sweep, submitOptions, say),
        )
      : await queueStates(remote, sweep, store);
    return { states, submitted: n };
  } finally {
    await remote.close();
  }
}

/**
 * Polls the queue until every run is finished or failed, reporting changes, ingesting results and
 * queueing again what Redis lost; ends early when the sweep is cancelled and nothing runs.
 */
async function follow(
  remote: Remote,
  sweep: Sweep,
  store: RunStore,
  report: (s: RunState, all: RunState[]) => void,
  requeue: (states: RunState[]) => Promise<void>,
): Promise<RunState[]> {
  const seen = new Map<string, string>();
  for (;;) {
    const states = await queueStates(remote, sweep, store);
    for (const s of states) {
      const key = `${s.state} ${s.worker ?? ''}`;
      if (seen.get(s.runId) !== key) report(s, states);
      seen.set(s.runId, key);
    }
    if (states.every(settled)) return states;
    if ((await isCancelled(remote, sweep)) && !states.some((s) => s.state === 'running')) return states;
    await requeue(states);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * The sweep's board on the command line: its status (sweep/state.ts `summarise`, the one
 * computation) saved into the store's index for the dashboard's sweep page each time it is read,
 * and `--status --watch`, which redraws it until no run is queued or running.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunStore } from '../store/store.js';
import type { Sweep } from '../sweep/expand.js';
import { stateTable, summarise, type RunState, type SweepSummary } from '../sweep/state.js';

const SETTLED = new Set<RunState['state']>(['finished', 'failed', 'exists', 'cancelled']);
export const settled = (s: RunState) => SETTLED.has(s.state);

/** The sweep's status from its runs' states, ranked by `metric` from the index's results; saved for the dashboard. */
export function boardOf(store: RunStore, sweep: Sweep, metric: string) {
  return (states: RunState[]): SweepSummary => {
    const metricOf = (r: RunState) => {
      const v = store.index.get(r.runId)?.result?.[metric];
      return typeof v === 'number' ? v : metric === 'testAccuracy' ? r.testAccuracy : undefined;
    };
    const summary = summarise(sweep, states, { metric, metricOf });
    store.index.saveSweepStatus(sweep.id, summary);
    return summary;
  };
}

/**
 * Reads and shows the status every `everyMs` until every run is settled; returns the last states.
 * On a terminal the table is redrawn in place; otherwise (or with --json) each reading is appended.
 */
export async function watch(
  read: () => Promise<RunState[]> | RunState[],
  board: (states: RunState[]) => SweepSummary,
  json: boolean | undefined,
  everyMs = 2000,
): Promise<RunState[]> {
  for (;;) {
    const states = await read();
    if (states.every(settled)) return states;
    const summary = board(states);
    if (json) process.stdout.write(JSON.stringify(summary) + '\n');
    else {
      if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
      process.stdout.write(
        `${stateTable(summary)}\n(${new Date().toLocaleTimeString()}; Ctrl-C stops watching)\n`,
      );
    }
    await sleep(everyMs);
  }
}

/** What every library function that runs experiments takes: where runs are stored, and how progress is reported. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../store/store.js';
import type { Callbacks } from '../training/loop.js';
import type { Logging } from '../experiments/run-observers.js';

/** Where runs are stored and how progress is reported; every experiment function takes these. */
export interface RunOptions extends Logging {
  /** Run store directory (default: SPRIG_ROOT or ./runs). Ignored when `store` is given. */
  root?: string;
  /** An open store to use (left open); by default one is opened at `root` and closed after. */
  store?: RunStore;
  /** Progress callbacks per training run (epoch ends, steps). */
  callbacks?: (label: string) => Callbacks;
  /** Human-readable notes (a level finished, repeats used); default none. */
  log?: (line: string) => void;
}

/** What an experiment function takes of the options besides the store: progress, notes, logging. */
export function observing(o: RunOptions) {
  return { callbacks: o.callbacks, log: o.log, metricsEvery: o.metricsEvery };
}

export function withStore<T>(o: RunOptions, fn: (store: RunStore) => T): T {
  const store = o.store ?? new RunStore(o.root);
  try {
    return fn(store);
  } finally {
    if (!o.store) store.close();
  }
}

/**
 * As withStore, for async work, except that without `root` or `store` the run goes to a temporary
 * store, removed after: nothing is kept or cached unless asked for.
 */
export async function withStoreOrTemporary<T>(
  o: RunOptions,
  fn: (store: RunStore) => Promise<T>,
): Promise<T> {
  const temporary = o.store || o.root ? undefined : mkdtempSync(join(tmpdir(), 'sprig-'));
  const store = o.store ?? new RunStore(o.root ?? temporary);
  try {
    return await fn(store);
  } finally {
    if (!o.store) store.close();
    if (temporary) rmSync(temporary, { recursive: true, force: true });
  }
}

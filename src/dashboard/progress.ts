/**
 * A running run's progress for its page: its own (step of the planned total, ETA at its own rate),
 * or, for an experiment whose levels or runs train one by one, the progress of the one training now.
 */
import type { RunRow } from '../store/index-db.js';
import { FILES } from '../store/artifacts.js';
import { progressView, type ProgressView } from '../experiments/run-progress.js';
import { runLabel } from '../figures/labels.js';
import type { StoreReader } from './reader.js';

export interface PageProgress extends ProgressView {
  /** The run that is training: this one (`own`), or a nested run of it. */
  runId: string;
  label: string;
  own: boolean;
}

const read = (reader: StoreReader, row: RunRow, now: number) =>
  row.status === 'running' ? progressView(reader.readJson(row, FILES.progress), now) : undefined;

export function pageProgress(reader: StoreReader, run: RunRow, now = Date.now()): PageProgress | undefined {
  const own = read(reader, run, now);
  if (own) return { ...own, runId: run.runId, label: runLabel(run), own: true };
  if (run.status !== 'running') return undefined;
  // Levels of a lottery and their branches: two levels deep, the live status of each (a dead owner's is not running).
  const nested = reader.children(run.runId).flatMap((c) => [c, ...reader.children(c.runId)]);
  for (const c of nested) {
    const live = c.status === 'running' ? reader.get(c.runId) : undefined;
    const p = live && read(reader, live, now);
    if (p) return { ...p, runId: c.runId, label: runLabel(c), own: false };
  }
  return undefined;
}

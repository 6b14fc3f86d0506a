/** Where each run of a sweep stands, the same for local workers and the Redis queue. */
import { pct, table } from '../util/format.js';
import type { Sweep, SweepRun } from './expand.js';

/** `stalled`: its worker's heartbeat stopped; another worker takes it over once its lock expires. */
export const STATES = ['exists', 'queued', 'running', 'stalled', 'finished', 'failed', 'cancelled'] as const;
export type StateName = (typeof STATES)[number];

export interface RunState {
  runId: string;
  label: string;
  /** `exists`: finished before this sweep started, nothing to run. */
  state: StateName;
  worker?: string;
  /** The last progress line a worker reported. */
  progress?: string;
  error?: string;
  testAccuracy?: number;
  /** Where the artifacts are, when another machine wrote them. */
  location?: string;
  /** What made the run pointless as planned (e.g. a DST run that ends before its first mask update). */
  warnings?: string[];
  /** Redis lost its job and nobody trains it: the submitter queues it again. */
  lost?: boolean;
}

export interface SweepSummary {
  sweepId: string;
  name: string;
  kind: string;
  counts: Record<StateName, number>;
  runs: RunState[];
}

export function initialStates(sweep: Sweep, finished: (run: SweepRun) => boolean): RunState[] {
  return sweep.runs.map((r) => ({
    runId: r.runId,
    label: r.label,
    state: finished(r) ? 'exists' : 'queued',
  }));
}

export function summarise(sweep: Sweep, runs: RunState[]): SweepSummary {
  const counts = Object.fromEntries(STATES.map((s) => [s, runs.filter((r) => r.state === s).length]));
  return {
    sweepId: sweep.id,
    name: sweep.name,
    kind: sweep.kind,
    counts: counts as SweepSummary['counts'],
    runs,
  };
}

export function countsLine(s: SweepSummary): string {
  return (
    STATES.filter((k) => s.counts[k])
      .map((k) => `${s.counts[k]} ${k}`)
      .join(', ') || 'no runs'
  );
}

/** The progress table: one row per run, the error of a failed one on its own line. */
export function stateTable(s: SweepSummary): string {
  const rows = s.runs.map((r) => [
    r.runId,
    r.label || '–',
    (r.state === 'running' || r.state === 'stalled') && r.worker ? `${r.state} (${r.worker})` : r.state,
    r.state === 'running' ? (r.progress ?? '').slice(0, 60) : '',
    r.testAccuracy === undefined ? '–' : pct(r.testAccuracy),
  ]);
  const running = s.runs.some((r) => r.state === 'running');
  const header = ['run', 'values', 'state', 'progress', 'test accuracy'];
  const drop = (row: string[]) => (running ? row : row.filter((_, i) => i !== 3));
  const errors = s.runs
    .filter((r) => r.state === 'failed')
    .map((r) => `  ${r.runId}: ${(r.error ?? 'unknown error').split('\n').join('\n    ')}`);
  const warnings = s.runs.flatMap((r) => (r.warnings ?? []).map((w) => `  ${r.runId}: ${w}`));
  return [
    `sweep ${s.name} (${s.sweepId}), ${s.kind}: ${countsLine(s)}`,
    table(drop(header), rows.map(drop)),
    ...(errors.length ? ['failed:', ...errors] : []),
    ...(warnings.length ? ['warnings:', ...warnings] : []),
  ].join('\n');
}

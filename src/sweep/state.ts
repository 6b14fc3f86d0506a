/** Where each run of a sweep stands, the same for local workers and the Redis queue. */
import { pct, table } from '../util/format.js';
import { meanStd } from '../util/stats.js';
import type { Sweep, SweepRun } from './expand.js';
import type { AxisPoints } from '../figures/sweep.js';

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
  /** The swept values (grid axes, override keys, seed). */
  values?: Record<string, string | number | boolean>;
}

/** One swept axis's points: the chosen metric's mean ± std over every run with that value. */
export type { AxisPoints } from '../figures/sweep.js';

export interface SweepSummary {
  sweepId: string;
  name: string;
  kind: string;
  counts: Record<StateName, number>;
  runs: RunState[];
  /** The result field that ranks runs (default testAccuracy). */
  metric: string;
  /** The finished run with the highest metric so far. */
  best?: { runId: string; label: string; value: number; worker?: string; location?: string };
  axes: AxisPoints[];
}

export function initialStates(sweep: Sweep, finished: (run: SweepRun) => boolean): RunState[] {
  return sweep.runs.map((r) => ({
    runId: r.runId,
    label: r.label,
    values: r.values,
    state: finished(r) ? 'exists' : 'queued',
  }));
}

export interface SummaryOptions {
  metric?: string;
  /** A run's value of the metric (default: its test accuracy). */
  metricOf?: (r: RunState) => number | undefined;
}

/**
 * The sweep's status: counts by state, each run, the best run by the metric, and the metric
 * against each swept axis. The one computation behind `--status`, `--watch`, `--json` and the
 * dashboard's sweep page.
 */
export function summarise(
  sweep: Pick<Sweep, 'id' | 'name'> & { kind: string },
  runs: RunState[],
  o: SummaryOptions = {},
): SweepSummary {
  const counts = Object.fromEntries(STATES.map((s) => [s, runs.filter((r) => r.state === s).length]));
  const metric = o.metric ?? 'testAccuracy';
  const metricOf = o.metricOf ?? ((r: RunState) => r.testAccuracy);
  const done = runs
    .filter((r) => r.state === 'finished' || r.state === 'exists')
    .map((r) => ({ r, v: metricOf(r) }))
    .filter((x): x is { r: RunState; v: number } => typeof x.v === 'number' && Number.isFinite(x.v));
  const top = done.reduce<(typeof done)[number] | undefined>((b, x) => (!b || x.v > b.v ? x : b), undefined);
  const best = top && {
    runId: top.r.runId,
    label: top.r.label,
    value: top.v,
    worker: top.r.worker,
    location: top.r.location,
  };
  return {
    sweepId: sweep.id,
    name: sweep.name,
    kind: sweep.kind,
    counts: counts as SweepSummary['counts'],
    runs,
    metric,
    ...(best ? { best } : {}),
    axes: axesOf(done),
  };
}

/** Each swept axis but the seed: the metric's mean ± std (sample) over the runs at each value. */
function axesOf(done: { r: RunState; v: number }[]): AxisPoints[] {
  const names = [...new Set(done.flatMap(({ r }) => Object.keys(r.values ?? {})))].filter(
    (k) => k !== 'seed',
  );
  return names.map((axis) => {
    const by = new Map<string, { value: string | number | boolean; vs: number[] }>();
    for (const { r, v } of done) {
      const value = r.values?.[axis];
      if (value === undefined) continue;
      const g = by.get(String(value)) ?? { value, vs: [] };
      g.vs.push(v);
      by.set(String(value), g);
    }
    const points = [...by.values()].map(({ value, vs }) => ({ value, ...meanStd(vs) }));
    return { axis, points };
  });
}

const fmt = (metric: string, v: number) => (/accuracy/i.test(metric) ? pct(v) : v.toPrecision(4));

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
  const best =
    s.best && `best by ${s.metric}: ${s.best.runId} (${s.best.label || '–'}) ${fmt(s.metric, s.best.value)}`;
  return [
    `sweep ${s.name} (${s.sweepId}), ${s.kind}: ${countsLine(s)}`,
    ...(best ? [best] : []),
    table(drop(header), rows.map(drop)),
    ...(errors.length ? ['failed:', ...errors] : []),
    ...(warnings.length ? ['warnings:', ...warnings] : []),
  ].join('\n');
}

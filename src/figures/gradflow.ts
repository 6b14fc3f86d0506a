/**
 * Gradient flow figures (Evci et al. 2022, figs. 2–4): every run's gradient norm on one log axis;
 * linear interpolation to the pruning solution with loss and error on their own axes; the
 * prediction disagreement between runs; the distances and barriers as a table.
 */
import type { Figure, LineSeries, Span } from './types.js';
import { gradflowStyle } from './styles.js';
import { FILES } from '../store/names.js';

interface RunReport {
  run: string;
  testAccuracy?: number;
  gradNorm?: { steps: number[]; total: number[] };
  distanceToPruned?: number;
  distanceToInit?: number;
  initDistanceToPruned?: number;
  disagreementWithPruned?: number;
  ensembleWithPrunedAccuracy?: number;
  interpolationToPruned?: {
    alphas: number[];
    loss: number[];
    error: number[];
    barrier?: number;
    lossBarrier?: number;
  };
}
export interface GradflowReport {
  runs: RunReport[];
  sparsity?: number;
  disagreement?: { names: string[]; matrix: number[][] };
  ensembleAccuracy?: number;
  /** Where the masks change: GMP's pruning steps (the pruning solution), RigL's updates. */
  updateSteps?: { gmp?: number[]; rigl?: number[] };
}

export function isGradflowReport(v: unknown): v is GradflowReport {
  const r = (v as { runs?: unknown })?.runs;
  return Array.isArray(r) && r.length > 0 && r.every((x) => typeof x?.run === 'string');
}

const pct = (v: number) => v * 100;
const numOrNull = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function gradflowFigures(report: GradflowReport, runId: string): Figure[] {
  return [
    gradNormFigure(report, runId),
    ...interpolationFigure(report, runId),
    ...disagreementFigure(report, runId),
    distancesTable(report, runId),
  ];
}

/** Every run's gradient norm on one log axis (Evci et al. 2022, fig. 2). */
function gradNormFigure(report: GradflowReport, runId: string): Figure {
  const withNorm = report.runs.filter((r) => r.gradNorm?.steps.length);
  return {
    type: 'line',
    id: `gradflow:${runId}:grad-norm`,
    title: 'gradient norm during training',
    x: { label: 'iteration', unit: 'integer' },
    y: { label: 'gradient norm ‖∇L‖₂ (log scale)', unit: 'number', log: true },
    series: withNorm.map((r) => ({
      label: r.run,
      x: r.gradNorm!.steps,
      y: r.gradNorm!.total,
      ...gradflowStyle(r.run),
    })),
    spans: updateSpans(report, new Set(withNorm.map((r) => r.run))),
    note: 'all prunable and unprunable parameters, on the same fixed batch for every run; shaded: the windows where GMP (pruned) and RigL (rigl, rigl+) change masks, a tick at each step that does',
    source: FILES.gradflow,
  };
}

/**
 * GMP's pruning window (the pruning solution) and RigL's update window, each in its run's hue and
 * ticked at every step that changes a mask: the gradient norm jumps there (Evci et al. 2022, fig. 2).
 */
function updateSpans(report: GradflowReport, shown: Set<string>): Span[] {
  const u = report.updateSteps ?? {};
  const rigl = ['rigl', 'rigl+'].filter((r) => shown.has(r));
  // Short labels keep the legend in three columns; the ticks show each step.
  const windows: [string, number[] | undefined, string][] = [
    ['GMP pruning', shown.has('pruned') ? u.gmp : undefined, 'pruned'],
    ['RigL updates', rigl.length ? u.rigl : undefined, 'rigl'],
  ];
  return windows.flatMap(([what, at, look]) =>
    at?.length
      ? [
          {
            from: at[0]!,
            to: at.at(-1)!,
            at,
            color: gradflowStyle(look).color,
            label: `${what}, steps ${at[0]}–${at.at(-1)}`,
          },
        ]
      : [],
  );
}

/** Loss and error along the line to the pruning solution, on their own axes. */
function interpolationFigure(report: GradflowReport, runId: string): Figure[] {
  const interp = report.runs.filter((r) => r.interpolationToPruned?.alphas.length);
  if (!interp.length) return [];
  // A run's loss and error share its hue: solid loss on the left axis, dashed error on the right.
  const series: LineSeries[] = interp.flatMap((r) => {
    const p = r.interpolationToPruned!;
    const { color, marker } = gradflowStyle(r.run);
    return [
      { label: `${r.run} loss`, x: p.alphas, y: p.loss, color, marker, axis: 'y' as const },
      {
        label: `${r.run} error`,
        x: p.alphas,
        y: p.error.map(pct),
        color,
        marker,
        axis: 'y2' as const,
        dashed: true,
      },
    ];
  });
  return [
    {
      type: 'line',
      id: `gradflow:${runId}:interpolation`,
      title: 'linear interpolation to the pruning solution',
      x: { label: 'α (0: the run, 1: the pruning solution)', unit: 'number' },
      y: { label: 'test loss (solid)', unit: 'number' },
      y2: { label: 'test error (%, dashed)', unit: 'percent' },
      series,
      source: FILES.gradflow,
    },
  ];
}

/** The prediction disagreement between every pair of runs, in percent. */
function disagreementFigure(report: GradflowReport, runId: string): Figure[] {
  const d = report.disagreement;
  if (!d?.names.length) return [];
  return [
    {
      type: 'heatmap',
      id: `gradflow:${runId}:disagreement`,
      title: 'prediction disagreement between runs',
      rows: d.names,
      cols: d.names,
      values: d.matrix.map((row) => row.map((v) => (numOrNull(v) === null ? null : pct(v)))),
      unit: 'percent',
      note: `% of test examples two runs classify differently${report.ensembleAccuracy === undefined ? '' : `; ensemble of all runs: ${pct(report.ensembleAccuracy).toFixed(2)}% accuracy`}`,
      source: FILES.gradflow,
    },
  ];
}

/** The distances and barriers of each run, as a table. */
function distancesTable(report: GradflowReport, runId: string): Figure {
  return {
    type: 'table',
    id: `gradflow:${runId}:distances`,
    title: 'distances and barriers to the pruning solution',
    columns: [
      { label: 'test accuracy (%)', unit: 'percent' },
      { label: '‖θ − θ_pruned‖', unit: 'number' },
      { label: '‖θ − θ_init‖', unit: 'number' },
      { label: '‖θ_init − θ_pruned‖', unit: 'number' },
      { label: 'error barrier (pp)', unit: 'percent' },
      { label: 'loss barrier', unit: 'number' },
      { label: 'disagreement (%)', unit: 'percent' },
      { label: 'ensemble acc. (%)', unit: 'percent' },
    ],
    rows: report.runs.map((r) => {
      const n = (v: unknown) => numOrNull(v);
      const p = (v: unknown) => (numOrNull(v) === null ? null : pct(v as number));
      return {
        label: r.run,
        values: [
          p(r.testAccuracy),
          n(r.distanceToPruned),
          n(r.distanceToInit),
          n(r.initDistanceToPruned),
          p(r.interpolationToPruned?.barrier),
          n(r.interpolationToPruned?.lossBarrier),
          p(r.disagreementWithPruned),
          p(r.ensembleWithPrunedAccuracy),
        ],
      };
    }),
    note: 'error barrier (Frankle et al. 2020): the highest error along the path minus the mean of its two ends',
    source: FILES.gradflow,
  };
}

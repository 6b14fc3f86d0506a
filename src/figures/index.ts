/**
 * Figures for a set of runs, by experiment kind: the one place that decides what the dashboard and
 * `sprig plot` draw. DST runs are compared as a group; lottery, bootstrap and gradflow experiments
 * each get their paper's figures; any run gets its training curves.
 */
import type { ChartSpec } from '../dashboard/charts.js';
import type { RunRow } from '../store/index-db.js';
import type { Figure, LineFigure } from './types.js';
import { runFacts, type RunSource } from './runs.js';
import { baseKind, uniqueLabels } from './labels.js';
import { curvesFigure, dstFigures } from './dst.js';
import { FILES, type ArtifactName } from '../store/artifacts.js';
import { palette } from './palette.js';
import { domain } from './axes.js';

export type { Figure } from './types.js';

/** What figures need of an experiment kind (experiments/kind.ts): its report file and how to draw it. */
export interface FigureKind {
  name: string;
  report?: ArtifactName;
  /** The report's figures; undefined when the document is not a report it knows. */
  figures?: (src: RunSource, row: RunRow, doc: unknown, label: string) => Figure[] | undefined;
}

/** The kinds by name, as experiments/kinds.ts lists them (passed in: figures sit below experiments). */
export type FigureKinds = Readonly<Record<string, FigureKind>>;

/** The report file of an experiment parent of this (possibly nested) kind. */
export function reportFile(kinds: FigureKinds, kind: string): string | undefined {
  const report = kinds[baseKind(kind)]?.report;
  return report && FILES[report];
}

/** Every figure for these runs. Runs of one kind that are not experiment parents are compared together. */
export function figuresFor(src: RunSource, rows: RunRow[], kinds: FigureKinds): Figure[] {
  const labels = uniqueLabels(rows);
  const figs: Figure[] = [];
  const plain: RunRow[] = [];
  const dst: RunRow[] = [];
  for (const row of rows) {
    const file = reportFile(kinds, row.kind);
    const doc = file && row.parent === null ? src.readJson(row, file) : undefined;
    const own =
      doc === undefined
        ? undefined
        : kinds[baseKind(row.kind)]?.figures?.(src, row, doc, labels.get(row.runId)!);
    if (own) figs.push(...own);
    else if (row.kind === 'dst') dst.push(row);
    else plain.push(row);
  }
  if (dst.length)
    figs.push(
      ...dstFigures(
        src,
        dst.map((r) => runFacts(src, r, labels.get(r.runId))),
      ),
    );
  if (plain.length)
    figs.push(
      curvesFigure(
        src,
        plain.map((r) => runFacts(src, r, labels.get(r.runId))),
        'runs:accuracy-over-training',
      ),
    );
  // One figure per experiment, so ids stay unique when several experiments are drawn together.
  return figs.filter((f) => f.type !== 'line' || f.series.some((s) => s.x.length)).map(withRanges);
}

/**
 * Sets each axis's range from the data, the ± std bands and the reference lines, so the dashboard
 * and the SVG draw the same window (and a one-point run gets a sane one).
 */
export function withRanges(f: Figure): Figure {
  if (f.type !== 'line') return f;
  const refs = (a: 'x' | 'y') => (f.refLines ?? []).filter((r) => r.axis === a).map((r) => r.value);
  const ys = (axis: 'y' | 'y2') =>
    f.series
      .filter((s) => (s.axis ?? 'y') === axis)
      .flatMap((s) => s.y.flatMap((v, i) => [v, v + (s.std?.[i] ?? 0), v - (s.std?.[i] ?? 0)]));
  const xr = domain([...f.series.flatMap((s) => s.x), ...refs('x')], f.x);
  const yr = domain([...ys('y'), ...refs('y')], f.y);
  return {
    ...f,
    x: { ...f.x, range: xr },
    y: { ...f.y, range: yr },
    y2: f.y2 ? { ...f.y2, range: domain(ys('y2'), f.y2) } : undefined,
  };
}

const PERCENT_QUANTITY = /accuracy|error/i;

/**
 * A generic chart of one run's metrics or curve file (charts.ts) as a figure: accuracy and error
 * in percent, levels and steps as whole numbers, one colour per series.
 */
export function chartFigure(c: ChartSpec): LineFigure {
  return withRanges(chartFigureRaw(c)) as LineFigure;
}

function chartFigureRaw(c: ChartSpec): LineFigure {
  const percent = PERCENT_QUANTITY.test(c.yLabel) || PERCENT_QUANTITY.test(c.title);
  const colors = palette(c.series.length);
  const xInt = /^(step|steps|level|epoch|iteration)/.test(c.xLabel);
  return {
    type: 'line',
    id: c.id,
    title: c.title,
    x: {
      label: c.xPercent ? `${c.xLabel} (%)` : c.xLabel,
      unit: xInt ? 'integer' : c.xPercent ? 'percent' : 'number',
      log: c.xLog,
      reverse: c.xReverse,
      ticksAtData: c.xLog,
    },
    y: { label: percent ? `${c.yLabel} (%)` : c.yLabel, unit: percent ? 'percent' : 'number' },
    series: c.series.map((s, i) => ({
      label: s.label,
      x: c.xPercent ? s.x.map((v) => v * 100) : s.x,
      y: percent ? s.y.map((v) => v * 100) : s.y,
      std: s.std ? (percent ? s.std.map((v) => v * 100) : s.std) : undefined,
      color: colors[i]!,
    })),
    source: c.source,
  };
}

/**
 * The figures of one run's page: its experiment's figures (as `figuresFor`), then its own training
 * curves from the index metrics.
 */
export function runFigures(
  src: RunSource,
  row: RunRow,
  xLabel: string,
  metricCharts: ChartSpec[],
  kinds: FigureKinds,
): Figure[] {
  const own = figuresFor(src, [row], kinds).filter((f) => !f.id.endsWith('accuracy-over-training'));
  // Mask churn has its own figure (dst:mask-churn); its raw metrics would repeat it.
  const charts = metricCharts.filter((c) => !/^metrics:mask(Dropped|Grown)$/.test(c.id));
  return [...own, ...charts.map((c) => withRanges(chartFigure({ ...c, xLabel })))];
}

/**
 * Figures for a set of runs, by experiment kind: the one place that decides what the dashboard and
 * `sprig plot` draw. DST runs are compared as a group; lottery, bootstrap and gradflow experiments
 * each get their paper's figures; any run gets its training curves.
 */
import type { RunRow } from '../store/index-db.js';
import type { Figure, LineFigure } from './types.js';
import { runFacts, type RunSource } from './runs.js';
import { baseKind, uniqueLabels } from './labels.js';
import { curvesFigure, dstFigures } from './dst.js';
import { isLotteryCurve, lotteryFigures } from './lottery.js';
import { bootstrapFigures, isBootstrapReport } from './bootstrap.js';
import { gradflowFigures, isGradflowReport } from './gradflow.js';
import { withRanges } from './axes.js';
import { FILES } from '../store/names.js';

export type { Figure } from './types.js';
export { withRanges } from './axes.js';
export { chartFigure } from './charts.js';

/** The report file of an experiment parent, by kind. */
export const REPORT: Record<string, string> = {
  lottery: FILES.curve,
  bootstrap: FILES.bootstrap,
  gradflow: FILES.gradflow,
};

/** Every figure for these runs. Runs of one kind that are not experiment parents are compared together. */
export function figuresFor(src: RunSource, rows: RunRow[]): Figure[] {
  const labels = uniqueLabels(rows);
  const figs: Figure[] = [];
  const plain: RunRow[] = [];
  const dst: RunRow[] = [];
  for (const row of rows) {
    const kind = baseKind(row.kind);
    const file = REPORT[kind];
    const doc = file && row.parent === null ? src.readJson(row, file) : undefined;
    const label = labels.get(row.runId)!;
    if (kind === 'lottery' && isLotteryCurve(doc)) figs.push(...lotteryFigures(src, row, doc, label));
    else if (kind === 'bootstrap' && isBootstrapReport(doc)) figs.push(...bootstrapFigures(doc, row.runId));
    else if (kind === 'gradflow' && isGradflowReport(doc)) figs.push(...gradflowFigures(doc, row.runId));
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
 * The figures of one run's page: its experiment's figures (as `figuresFor`), then its own training
 * curves from the index metrics.
 */
export function runFigures(src: RunSource, row: RunRow, metricCharts: LineFigure[]): Figure[] {
  const own = figuresFor(src, [row]).filter((f) => !f.id.endsWith('accuracy-over-training'));
  // Mask churn has its own figure (dst:mask-churn); its raw metrics would repeat it.
  return [...own, ...metricCharts.filter((c) => !/^metrics:mask(Dropped|Grown)$/.test(c.id))];
}

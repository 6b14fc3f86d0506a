/**
 * Figures for a set of runs, by experiment kind: the one place that decides what the dashboard and
 * `sprig plot` draw. DST runs are compared as a group; lottery, bootstrap and gradflow experiments
 * each get their paper's figures; any run gets its training curves.
 */
import type { RunRow } from '../store/index-db.js';
import type { Figure, LineFigure } from './types.js';
import { chartsFromJson } from './charts.js';
import { runFacts, type RunSource } from './runs.js';
import { baseKind, uniqueLabels } from './labels.js';
import { curvesFigure, dstFigures } from './dst.js';
import { withRanges } from './axes.js';
import { FILES, type ArtifactName } from '../store/names.js';

export type { Figure } from './types.js';
export { spanPlanned, withRanges } from './axes.js';
export { chartFigure } from './charts.js';
export { FIGURE_KINDS, FIGURE_KIND_NAMES, figureKindOf, type FigureKindName } from './catalog.js';

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
    const draw = kinds[baseKind(row.kind)]?.figures;
    const own = doc === undefined ? undefined : draw?.(src, row, doc, labels.get(row.runId)!);
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
 * The figures of one run's page: its experiment's figures (as `figuresFor`), then its own training
 * curves from the index metrics.
 */
export function runFigures(
  src: RunSource,
  row: RunRow,
  metricCharts: LineFigure[],
  kinds: FigureKinds,
): Figure[] {
  const own = figuresFor(src, [row], kinds).filter((f) => !f.id.endsWith('accuracy-over-training'));
  // Mask churn has its own figure (dst:mask-churn); its raw metrics would repeat it.
  return [...own, ...metricCharts.filter((c) => !/^metrics:mask(Dropped|Grown)$/.test(c.id))];
}

/**
 * Charts found by shape in a run's own JSON files (per-layer gradient norms, a world's curves):
 * all but its result (the index has those metrics) and an experiment's report (its paper figures).
 */
export function fileCharts(
  src: RunSource & { files(row: RunRow): { name: string }[] },
  row: RunRow,
  kinds: FigureKinds,
): LineFigure[] {
  return src
    .files(row)
    .filter((f) => f.name !== FILES.result && (row.parent !== null || f.name !== reportFile(kinds, row.kind)))
    .flatMap((f) => chartsFromJson(src.readJson(row, f.name), f.name));
}

/**
 * Dynamic sparse training figures (Evci et al. 2020, figs. 2–3): accuracy against sparsity and
 * against training and inference FLOPs, one series per method with mean ± std over seeds; the
 * per-layer densities of each distribution; the mask churn at each update; accuracy over training.
 */
import type { Figure, LineFigure, LineSeries } from './types.js';
import type { RunFacts, RunSource } from './runs.js';
import { metricPoints } from './runs.js';
import { groupRuns } from './groups.js';
import { meanStd, pointsByX } from './stats.js';
import { palette, REFERENCE_COLOR } from './palette.js';
import { methodStyle, repeatStyles } from './styles.js';

const SEED = 'training.seed';
const SPARSITY = 'dst.sparsity';
const pct = (v: number) => v * 100;

/** One series per method group: mean ± std of accuracy at each x. */
function accuracySeries(
  runs: RunFacts[],
  xOf: (r: RunFacts) => number | undefined,
  omit: string[],
  labelSparsity = false,
): LineSeries[] {
  const groups = groupRuns(runs, omit, (r) => r.method ?? r.row.kind);
  const styles = groupStyles(groups);
  return groups.flatMap((g, i) => {
    const pts = pointsByX(
      g.items.flatMap((r) => {
        const x = xOf(r);
        return x === undefined || r.testAccuracy === undefined ? [] : [{ x, y: pct(r.testAccuracy) }];
      }),
    );
    if (!pts.length) return [];
    // On a FLOPs axis a point's sparsity is not its x: it is written beside the point.
    const sparsityAt = (x: number) =>
      [
        ...new Set(g.items.filter((r) => xOf(r) === x).map((r) => `s=${+(r.sparsity ?? 0).toPrecision(3)}`)),
      ].join(',');
    return [
      {
        label: g.label,
        x: pts.map((p) => p.x),
        y: pts.map((p) => p.y.mean),
        std: pts.map((p) => p.y.std),
        n: pts.map((p) => p.y.n),
        pointLabels: labelSparsity ? pts.map((p) => sparsityAt(p.x)) : undefined,
        ...styles[i]!,
      },
    ];
  });
}

/** Each group in its method's look; a method's second group (another distribution) dashed. */
const groupStyles = (groups: { items: RunFacts[] }[]) =>
  repeatStyles(groups, (g) => g.items[0]!.method ?? g.items[0]!.row.kind, methodStyle);

/** Dense baselines as a reference line (mean over seeds), not a series at "sparsity 0". */
function denseLine(dense: RunFacts[]) {
  const acc = dense.flatMap((r) => (r.testAccuracy === undefined ? [] : [pct(r.testAccuracy)]));
  if (!acc.length) return [];
  const m = meanStd(acc);
  return [
    {
      axis: 'y' as const,
      value: m.mean,
      label: `dense ${m.mean.toFixed(2)}%${m.n > 1 ? ` ± ${m.std.toFixed(2)}` : ''} (n=${m.n})`,
      color: REFERENCE_COLOR,
    },
  ];
}

const ACCURACY = { label: 'test accuracy (%)', unit: 'percent' as const };

export function dstFigures(src: RunSource, runs: RunFacts[]): Figure[] {
  if (!runs.length) return [];
  const dense = runs.filter((r) => r.method === 'dense');
  const sparse = runs.filter((r) => r.method !== 'dense');
  const refLines = denseLine(dense);
  const figs: Figure[] = [];
  const bySparsity = accuracySeries(sparse, (r) => (r.sparsity === undefined ? undefined : pct(r.sparsity)), [
    SEED,
    SPARSITY,
  ]);
  const vsSparsity: LineFigure = {
    type: 'line',
    id: 'dst:accuracy-vs-sparsity',
    title: 'test accuracy vs sparsity',
    x: { label: 'sparsity (%)', unit: 'percent', ticksAtData: true },
    y: ACCURACY,
    series: bySparsity,
    refLines,
    note: bandNote(bySparsity),
    source: 'dst results',
  };
  figs.push(vsSparsity);
  for (const [which, key] of [
    ['training', 'trainingFlops'],
    ['inference', 'inferenceFlops'],
  ] as const) {
    const series = accuracySeries(sparse, (r) => r[key], [SEED, SPARSITY], true);
    if (!series.length) continue;
    figs.push({
      type: 'line',
      id: `dst:accuracy-vs-${which}-flops`,
      title: `test accuracy vs ${which} FLOPs`,
      // Log x: sparse runs cost 0.05–0.3× and dense 1×; a linear axis would crowd them at the left.
      x: { label: `${which} FLOPs (fraction of dense, log scale)`, unit: 'number', log: true },
      y: ACCURACY,
      series,
      refLines: [...refLines, { axis: 'x', value: 1, label: 'dense FLOPs', color: REFERENCE_COLOR }],
      note: `${bandNote(series)}; one point per sparsity`,
      source: 'dst results',
    });
  }
  const d = densityFigure(sparse);
  if (d) figs.push(d);
  const churn = churnFigure(sparse);
  if (churn) figs.push(churn);
  figs.push(dstCurvesFigure(src, runs));
  return figs;
}

/** Per-layer densities of each distribution and sparsity (ERK keeps small layers denser). */
function densityFigure(runs: RunFacts[]): Figure | undefined {
  const withD = runs.filter((r) => r.densities && Object.keys(r.densities).length);
  if (!withD.length) return undefined;
  const byKey = new Map<string, Record<string, number>>();
  for (const r of withD) {
    const k = `${r.distribution ?? '?'} s=${+(r.sparsity ?? 0).toPrecision(3)}`;
    if (!byKey.has(k)) byKey.set(k, r.densities!);
  }
  const layers = [...new Set([...byKey.values()].flatMap((d) => Object.keys(d)))];
  const colors = palette(byKey.size);
  return {
    type: 'bar',
    id: 'dst:layer-densities',
    title: 'per-layer density',
    categories: layers,
    y: { label: 'density (%)', unit: 'percent' },
    series: [...byKey].map(([label, dens], i) => ({
      label,
      values: layers.map((l) => (dens[l] === undefined ? null : pct(dens[l]))),
      color: colors[i]!,
    })),
    source: 'dst results',
  };
}

/** Fraction of active weights dropped (and regrown) at each mask update, per method. */
function churnFigure(runs: RunFacts[]): LineFigure | undefined {
  const withU = runs.filter((r) => r.maskUpdates?.length);
  if (!withU.length) return undefined;
  const groups = groupRuns(withU, [SEED], (r) => `${r.method ?? ''} s=${+(r.sparsity ?? 0).toPrecision(3)}`);
  const styles = groupStyles(groups);
  return {
    type: 'line',
    id: 'dst:mask-churn',
    title: 'mask churn at each update',
    x: { label: 'iteration', unit: 'integer' },
    y: { label: 'active weights dropped and regrown (%)', unit: 'percent' },
    series: groups.map((g, i) => {
      const pts = pointsByX(
        g.items.flatMap((r) => r.maskUpdates!.map((u) => ({ x: u.step, y: pct(u.dropped) }))),
      );
      return {
        label: g.label,
        x: pts.map((p) => p.x),
        y: pts.map((p) => p.y.mean),
        std: pts.map((p) => p.y.std),
        ...styles[i]!,
      };
    }),
    note: 'fraction of the active weights of the sparse layers; RigL/SET/SNFS regrow as many as they drop; mean over seeds',
    source: 'dst results',
  };
}

/** Test accuracy over training, every run (readable labels, one colour each). */
export function curvesFigure(
  src: RunSource,
  runs: RunFacts[],
  id = 'dst:accuracy-over-training',
): LineFigure {
  const colors = palette(runs.length);
  return {
    type: 'line',
    id,
    title: 'test accuracy over training',
    x: { label: 'iteration', unit: 'integer' },
    y: ACCURACY,
    series: runs.map((r, i) => {
      const p = metricPoints(src.metrics(r.row.runId), 'testAccuracy');
      return { label: r.label, x: p.x, y: p.y.map(pct), color: colors[i]! };
    }),
    source: 'metrics',
  };
}

/** DST runs over training: one line per method group (mean ± std over seeds), in its method's look. */
function dstCurvesFigure(src: RunSource, runs: RunFacts[]): LineFigure {
  const groups = groupRuns(runs, [SEED], (r) => r.method ?? r.row.kind);
  const styles = groupStyles(groups);
  const series = groups.map((g, i): LineSeries => {
    const pts = pointsByX(
      g.items.flatMap((r) => {
        const p = metricPoints(src.metrics(r.row.runId), 'testAccuracy');
        return p.x.map((x, j) => ({ x, y: pct(p.y[j]!) }));
      }),
    );
    return {
      label: g.label,
      x: pts.map((p) => p.x),
      y: pts.map((p) => p.y.mean),
      std: pts.map((p) => p.y.std),
      n: pts.map((p) => p.y.n),
      ...styles[i]!,
    };
  });
  return {
    type: 'line',
    id: 'dst:accuracy-over-training',
    title: 'test accuracy over training',
    x: { label: 'iteration', unit: 'integer' },
    y: ACCURACY,
    series,
    note: bandNote(series),
    source: 'metrics',
  };
}

/** What the band is: ± 1 std over seeds, or nothing when every point has one seed. */
export function bandNote(series: LineSeries[]): string {
  const n = Math.max(1, ...series.flatMap((s) => s.n ?? [1]));
  return n > 1 ? `bands: ± 1 std over seeds (up to ${n})` : 'one seed per point (no band)';
}

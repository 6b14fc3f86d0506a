/**
 * Lottery ticket figures (Frankle & Carbin 2019, figs. 1 and 4): test accuracy against remaining
 * weights on a log axis for the IMP line and every branch, bands of ± 1 std over replicates, dense
 * as a reference line; and the early-stop iteration (minimum test loss) against remaining weights.
 */
import type { RunRow } from '../store/index-db.js';
import type { Figure, LineSeries } from './types.js';
import { metricPoints, type RunSource } from './runs.js';
import { meanStd } from './stats.js';
import { REFERENCE_COLOR } from './palette.js';
import { branchStyle } from './styles.js';
import { FILES } from '../store/names.js';

interface Stat {
  testAccuracy: number;
  testAccuracyStd?: number;
  remaining: number;
  replicates?: number[];
  branches?: Record<string, Stat>;
}
interface Level extends Stat {
  level: number;
}
export interface LotteryCurve {
  levels: Level[];
  oneShot?: Level[];
}

export function isLotteryCurve(v: unknown): v is LotteryCurve {
  const levels = (v as { levels?: unknown })?.levels;
  return (
    Array.isArray(levels) &&
    levels.length > 0 &&
    levels.every((l) => typeof l?.remaining === 'number' && typeof l?.testAccuracy === 'number')
  );
}

const pct = (v: number) => v * 100;

/** The lines of a curve: main, each branch (from the dense point), one-shot and its branches. */
function lines(curve: LotteryCurve): { label: string; points: Stat[] }[] {
  const out: { label: string; points: Stat[] }[] = [];
  const dense = curve.levels.find((l) => l.level === 0);
  const branchNames = (pts: Stat[]) => [...new Set(pts.flatMap((p) => Object.keys(p.branches ?? {})))];
  const add = (label: string, pts: Stat[], fromDense: boolean) => {
    // Every branch shares level 0 (the dense network): drawing it from there shows where it departs.
    const all =
      fromDense && pts.length && dense && !pts.some((p) => p.remaining === dense.remaining)
        ? [dense, ...pts]
        : pts;
    if (all.length) out.push({ label, points: all });
  };
  add('IMP (main)', curve.levels, false);
  for (const b of branchNames(curve.levels))
    add(
      b,
      curve.levels.flatMap((l) => (l.branches?.[b] ? [l.branches[b]] : [])),
      true,
    );
  const oneShot = curve.oneShot ?? [];
  add('one-shot', oneShot, true);
  for (const b of branchNames(oneShot))
    add(
      `one-shot ${b}`,
      oneShot.flatMap((l) => (l.branches?.[b] ? [l.branches[b]] : [])),
      true,
    );
  return out;
}

export function lotteryFigures(src: RunSource, row: RunRow, curve: LotteryCurve, label: string): Figure[] {
  const ls = lines(curve);
  const replicates = Math.max(...curve.levels.map((l) => l.replicates?.length ?? 1));
  const dense = curve.levels.find((l) => l.level === 0);
  const series: LineSeries[] = ls.map((l) => ({
    label: l.label,
    x: l.points.map((p) => pct(p.remaining)),
    y: l.points.map((p) => pct(p.testAccuracy)),
    std: l.points.map((p) => pct(p.testAccuracyStd ?? 0)),
    n: l.points.map((p) => p.replicates?.length ?? 1),
    ...branchStyle(l.label),
  }));
  const figs: Figure[] = [
    {
      type: 'line',
      id: `lottery:accuracy-vs-remaining:${row.runId}`,
      title: `test accuracy vs remaining weights: ${replicatesLabel(label, replicates)}`,
      x: {
        label: 'remaining weights (%, log scale)',
        unit: 'percent',
        log: true,
        reverse: true,
        ticksAtData: true,
      },
      y: { label: 'test accuracy (%)', unit: 'percent' },
      series,
      refLines: dense
        ? [
            {
              axis: 'y',
              value: pct(dense.testAccuracy),
              label: `dense ${pct(dense.testAccuracy).toFixed(2)}%`,
              color: REFERENCE_COLOR,
            },
          ]
        : [],
      note:
        replicates > 1
          ? `bands: ± 1 std over ${replicates} replicates; branches start at the dense point`
          : 'one replicate (no error band); branches start at the dense point',
      source: FILES.curve,
    },
  ];
  const early = earlyStopFigure(src, row, curve);
  if (early) figs.push(early);
  return figs;
}

/** Replicate r trains with seed + r: a many-replicate run is named by its seeds, not the first one. */
export const replicatesLabel = (label: string, replicates: number) =>
  replicates > 1
    ? label.replace(/ seed=(\d+)$/, (_, s: string) => ` seeds ${s}–${Number(s) + replicates - 1}`)
    : label;

/** The iteration of minimum test loss of each level's (and branch's) run, mean ± std over replicates. */
function earlyStopFigure(src: RunSource, row: RunRow, curve: LotteryCurve): Figure | undefined {
  const remaining = new Map(curve.levels.map((l) => [l.level, l.remaining]));
  // Level runs are `<id>.r<rep>.L<level>`; their branches are children named `….<branch>_<hash>`.
  const byLine = new Map<string, Map<number, number[]>>();
  const note = (line: string, level: number, step: number) => {
    const m = byLine.get(line) ?? new Map<number, number[]>();
    byLine.set(line, m);
    m.set(level, [...(m.get(level) ?? []), step]);
  };
  const argmin = (r: RunRow) => {
    const loss = metricPoints(src.metrics(r.runId), 'validationLoss');
    const p = loss.x.length ? loss : metricPoints(src.metrics(r.runId), 'testLoss');
    if (!p.x.length) return undefined;
    let best = 0;
    p.y.forEach((v, i) => v < p.y[best]! && (best = i));
    return p.x[best]!;
  };
  for (const lv of src.children(row.runId)) {
    const m = /\.r(\d+)\.L(\d+)$/.exec(lv.runId);
    if (!m) continue;
    const level = Number(m[2]);
    const s = argmin(lv);
    if (s !== undefined) note('IMP (main)', level, s);
    for (const br of src.children(lv.runId)) {
      const b = /\.([a-z_]+?)_[0-9a-f]{8,}$/.exec(br.runId)?.[1];
      const sb = argmin(br);
      if (b && sb !== undefined) note(b, level, sb);
    }
  }
  if (!byLine.size) return undefined;
  return {
    type: 'line',
    id: `lottery:early-stop:${row.runId}`,
    title: 'early-stop iteration vs remaining weights',
    x: {
      label: 'remaining weights (%, log scale)',
      unit: 'percent',
      log: true,
      reverse: true,
      ticksAtData: true,
    },
    y: { label: 'iteration of minimum test loss', unit: 'integer' },
    series: [...byLine].map(([label, levels]) => {
      const pts = [...levels]
        .filter(([l]) => remaining.has(l))
        .sort(([a], [b]) => a - b)
        .map(([l, steps]) => ({ x: pct(remaining.get(l)!), y: meanStd(steps) }));
      return {
        label,
        x: pts.map((p) => p.x),
        y: pts.map((p) => p.y.mean),
        std: pts.map((p) => p.y.std),
        n: pts.map((p) => p.y.n),
        ...branchStyle(label),
      };
    }),
    note: 'Frankle & Carbin fig. 4: the iteration where the loss is lowest; bands ± 1 std over replicates',
    source: 'metrics of each level',
  };
}

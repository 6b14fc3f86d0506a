/**
 * Axis domains and tick labels shared by both renderers: sane ranges for one-point runs, percent
 * axes kept within 0–100, whole-number ticks for levels and iterations, and tick labels with only
 * the digits their spacing needs.
 */
import type { Axis, Figure } from './types.js';

/** The range to draw for these values. */
export function domain(values: number[], axis: Axis): [number, number] {
  const v = values.filter((x) => Number.isFinite(x) && (!axis.log || x > 0));
  if (!v.length) return axis.log ? [1, 10] : [0, 1];
  let lo = Math.min(...v);
  let hi = Math.max(...v);
  if (lo === hi) {
    // One value: a window around it, not ±0.5 of nothing.
    if (axis.log) return [lo / 2, hi * 2];
    const pad = axis.unit === 'integer' ? Math.max(1, Math.abs(lo) * 0.1) : Math.abs(lo) * 0.05 || 1;
    lo -= pad;
    hi += pad;
  } else if (!axis.log) {
    const pad = (hi - lo) * 0.04;
    lo -= pad;
    hi += pad;
  } else {
    const pad = (hi / lo) ** 0.04; // the same 4 % margin, in log space
    lo /= pad;
    hi *= pad;
  }
  if (axis.unit === 'percent' && !axis.log) {
    lo = Math.max(lo, v.every((x) => x >= 0) ? 0 : lo);
    hi = Math.min(hi, v.every((x) => x <= 100) ? 100 : hi);
  }
  if (axis.unit === 'integer' && lo < 0 && v.every((x) => x >= 0)) lo = 0;
  return [lo, hi];
}

/** Keeps only whole-number ticks on integer axes. */
export function filterTicks(ticks: number[], axis: Axis): number[] {
  return axis.unit === 'integer' ? ticks.filter((t) => Number.isInteger(t)) : ticks;
}

/** A tick label with as many decimals as the spacing between ticks needs. */
export function tickFormatter(ticks: number[], axis: Axis): (v: number) => string {
  if (axis.unit === 'integer') return (v) => String(Math.round(v));
  const sorted = [...ticks].sort((a, b) => a - b);
  const gaps = sorted
    .slice(1)
    .map((t, i) => t - sorted[i]!)
    .filter((g) => g > 0);
  const step = gaps.length ? Math.min(...gaps) : Math.abs(sorted[0] ?? 1) || 1;
  return (v) => formatNumber(v, axis.log ? undefined : step);
}

export function formatNumber(v: number, step?: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(1);
  if (step !== undefined) {
    // The fewest decimals that show the step exactly (2.5 needs one, 20 none).
    let decimals = 0;
    while (decimals < 6 && Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-6)
      decimals++;
    return v.toFixed(decimals);
  }
  return String(+v.toPrecision(3));
}

/** A value in a table or tooltip, in its unit. */
export function formatValue(v: number | string | null | undefined, unit: Axis['unit']): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string') return v;
  if (unit === 'integer') return String(Math.round(v));
  if (unit === 'percent') return v.toFixed(2);
  return formatNumber(v);
}

/**
 * Sets each axis's range from the data, the ± std bands, the reference lines and the marked spans, so the dashboard
 * and the SVG draw the same window (and a one-point run gets a sane one).
 */
export function withRanges(f: Figure): Figure {
  if (f.type !== 'line') return f;
  const refs = (a: 'x' | 'y') => [
    ...(f.refLines ?? []).filter((r) => r.axis === a).map((r) => r.value),
    ...(a === 'x' ? (f.spans ?? []).flatMap((s) => [s.from, s.to]) : []),
  ];
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

/**
 * A running run's step axes span the whole planned run, 0 to its last step, so the curve drawn so
 * far shows how much is left (not a 0–1 axis, or one that grows as the run goes).
 */
export function spanPlanned(f: Figure, totalSteps: number): Figure {
  if (f.type !== 'line' || f.x.log || !/^(step|iteration)/.test(f.x.label)) return f;
  const [lo, hi] = f.x.range ?? [0, totalSteps];
  return { ...f, x: { ...f.x, range: [Math.min(lo, 0), Math.max(hi, totalSteps)] } };
}

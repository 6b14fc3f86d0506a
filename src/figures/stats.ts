/** Mean and sample standard deviation over seeds or replicates, and grouping helpers. */

export interface MeanStd {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  std: number;
  n: number;
}

export function meanStd(xs: number[]): MeanStd {
  const n = xs.length;
  if (!n) return { mean: NaN, std: 0, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: 0, n };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(v), n };
}

/** Items grouped by a key, groups in the order their first item appears. */
export function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const g = out.get(k);
    if (g) g.push(t);
    else out.set(k, [t]);
  }
  return out;
}

/** A point's x and the mean ± std of its ys, one per distinct x, sorted by x. */
export function pointsByX(items: { x: number; y: number }[]): { x: number; y: MeanStd }[] {
  return [...groupBy(items, (p) => String(p.x)).values()]
    .map((g) => ({ x: g[0]!.x, y: meanStd(g.map((p) => p.y)) }))
    .sort((a, b) => a.x - b.x);
}

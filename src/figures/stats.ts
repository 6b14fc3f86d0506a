/** Mean and sample standard deviation over seeds or replicates (util/stats.ts), and grouping helpers. */
import { meanStd, type MeanStd } from '../util/stats.js';

export { meanStd, type MeanStd };

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

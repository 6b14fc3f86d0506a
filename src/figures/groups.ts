/**
 * Runs that differ only in their seed form one group (W&B-style grouping); a group's name is its
 * method plus the hyperparameters that tell it apart from the other groups in the same figure.
 */
import type { RunRow } from '../store/index-db.js';
import { groupBy } from './stats.js';

/** Paths that never name a group: the seed, and the axes a figure spreads over. */
type Flat = Map<string, string>;

function flatten(v: unknown, prefix = '', out: Flat = new Map()): Flat {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    for (const [k, c] of Object.entries(v)) flatten(c, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, JSON.stringify(v));
  return out;
}

/** Runs with equal keys differ at most in their seed: the only runs a table may pool. */
export function seedlessKey(hparams: unknown): string {
  const flat = [...flatten(hparams)].filter(([p]) => p !== 'training.seed');
  return JSON.stringify(flat.sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Groups runs by their hyperparameters without `omit` (e.g. the seed and the sparsity), named by
 * `lead` (e.g. the method) and whatever else differs between the groups.
 */
export function groupRuns<T extends { row: Pick<RunRow, 'hparams'> }>(
  items: T[],
  omit: string[],
  lead: (t: T) => string,
): { label: string; items: T[] }[] {
  const flat = new Map(items.map((t) => [t, flatten(t.row.hparams)]));
  const keyOf = (t: T) =>
    JSON.stringify(
      [...flat.get(t)!].filter(([p]) => !omit.includes(p)).sort(([a], [b]) => a.localeCompare(b)),
    );
  const groups = [...groupBy(items, keyOf).values()];
  // Paths whose value differs between groups (beyond the lead) name them.
  const reps = groups.map((g) => flat.get(g[0]!)!);
  // Only paths that differ between groups of the same lead: rigl ΔT=4 vs rigl ΔT=100 is named,
  // static vs rigl is not named by the ΔT static ignores.
  const leads = groups.map((g) => lead(g[0]!));
  const paths = [...new Set(reps.flatMap((f) => [...f.keys()]))].filter(
    (p) =>
      !omit.includes(p) &&
      reps.some((a, i) => reps.some((b, j) => j > i && leads[i] === leads[j] && a.get(p) !== b.get(p))),
  );
  return groups.map((g) => {
    const f = flat.get(g[0]!)!;
    const lead0 = lead(g[0]!);
    const extra = paths
      .map((p) => {
        const v = f.get(p);
        const shown = v === undefined ? '–' : String(JSON.parse(v) ?? '–');
        const name = p.split('.').at(-1);
        if (shown === lead0) return '';
        // A dense baseline's stored sparsity and distribution are unused defaults (as in the runs table).
        if (lead0 === 'dense' && (name === 'sparsity' || name === 'distribution')) return '';
        if (name === 'sparsity') return `s=${shown}`;
        return name === 'distribution' || name === 'method' ? shown : `${name}=${shown}`;
      })
      .filter(Boolean);
    return { label: [lead0, ...extra].join(' '), items: g };
  });
}

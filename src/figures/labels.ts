/**
 * Readable names for runs (`rigl s=0.9 seed=1`) and the hyperparameter columns the runs table
 * shows per experiment kind. Values are read from a run's stored hparams by path.
 */
import type { RunRow } from '../store/index-db.js';

export interface Column {
  key: string;
  label: string;
  /** Dotted path into the run's hparams. */
  path: string;
}

const col = (key: string, path: string, label = key): Column => ({ key, label, path });
const MODEL = col('model', 'model.name');
const DATASET = col('dataset', 'dataset.name');
const SEED = col('seed', 'training.seed');
const LR = col('lr', 'training.lr');
const STEPS = col('steps', 'training.trainSteps');
const SUBSET = col('subset', 'dataset.subset', 'subset');

/** Hyperparameter columns per kind (nested kinds share their parent's). */
const COLUMNS: Record<string, Column[]> = {
  dst: [
    col('method', 'dst.method'),
    col('sparsity', 'dst.sparsity'),
    col('distribution', 'dst.distribution'),
    SEED,
    MODEL,
    DATASET,
    SUBSET,
    LR,
    STEPS,
    col('deltaT', 'dst.deltaT', 'ΔT'),
  ],
  lottery: [
    MODEL,
    DATASET,
    SUBSET,
    col('pruneFraction', 'pruning.pruneFraction', 'prune rate'),
    col('scope', 'pruning.pruneScope'),
    col('rewind', 'pruning.rewind'),
    SEED,
    LR,
    STEPS,
  ],
  train: [MODEL, DATASET, SUBSET, col('optimizer', 'training.optimizer'), LR, SEED, STEPS],
  bootstrap: [col('models', 'bootstrap.models'), DATASET, col('n', 'bootstrap.n'), SEED, STEPS],
  gradflow: [
    MODEL,
    DATASET,
    SUBSET,
    col('sparsity', 'gradflow.sparsity'),
    col('distribution', 'gradflow.distribution'),
    SEED,
    STEPS,
  ],
};

export function baseKind(kind: string): string {
  if (kind.startsWith('lottery')) return 'lottery';
  if (kind.startsWith('bootstrap')) return 'bootstrap';
  if (kind.startsWith('gradflow')) return 'gradflow';
  return kind;
}

export function columnsFor(kind: string): Column[] {
  return COLUMNS[baseKind(kind)] ?? [MODEL, DATASET, SUBSET, LR, SEED, STEPS];
}

/**
 * The runs table's columns for runs of these kinds: one kind's own columns, or for several kinds
 * only those every kind has (all kinds' columns side by side are wider than a screen).
 */
export function tableColumns(kinds: string[]): Column[] {
  const lists = [...new Set(kinds.map(baseKind))].map(columnsFor);
  if (!lists.length) return [];
  return lists[0]!.filter((c) => lists.every((l) => l.some((d) => d.key === c.key)));
}

export function hparam(row: Pick<RunRow, 'hparams'>, path: string): unknown {
  let v: unknown = row.hparams;
  for (const k of path.split('.')) v = (v as Record<string, unknown> | null | undefined)?.[k];
  return v;
}

/** A column's value as shown: numbers as numbers, lists joined. */
export function columnValue(row: Pick<RunRow, 'hparams'>, c: Column): string | number | null {
  const v = hparam(row, c.path);
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.join(',');
  return null;
}

const num = (v: unknown) => (typeof v === 'number' ? +v.toPrecision(4) : v);

/** A run's readable name, built from the hyperparameters that tell runs of its kind apart. */
export function runLabel(row: Pick<RunRow, 'runId' | 'kind' | 'hparams'>): string {
  const h = (p: string) => hparam(row, p);
  const seed = h('training.seed');
  const seedPart = typeof seed === 'number' ? ` seed=${seed}` : '';
  switch (baseKind(row.kind)) {
    case 'dst': {
      const method = String(h('dst.method') ?? 'dst');
      const s = method === 'dense' ? '' : ` s=${num(h('dst.sparsity'))}`;
      // ERK is the default distribution; any other is part of the name.
      const dist = h('dst.distribution');
      const d = method !== 'dense' && typeof dist === 'string' && dist !== 'erk' ? ` ${dist}` : '';
      return `${method}${d}${s}${seedPart}`;
    }
    case 'lottery': {
      const lvl = /\.r(\d+)\.L(\d+)(?:\.([a-z_]+?)_[0-9a-f]{8,})?$/.exec(row.runId);
      if (lvl) return `${lvl[3] ? `${lvl[3]} ` : ''}level ${lvl[2]} replicate ${lvl[1]}`;
      return `lottery ${h('model.name') ?? ''} p=${num(h('pruning.pruneFraction'))} rewind=${h('pruning.rewind') ?? 'init'}${seedPart}`;
    }
    case 'bootstrap': {
      const world = h('bootstrap.world');
      if (typeof world === 'string') return `${h('model.name')} ${world} world`;
      const models = h('bootstrap.models');
      return `bootstrap ${Array.isArray(models) ? models.join(',') : ''} n=${h('bootstrap.n')}`;
    }
    case 'gradflow': {
      const which = h('gradflow.run');
      if (typeof which === 'string') return `${which} s=${num(h('gradflow.sparsity'))}${seedPart}`;
      return `gradflow ${h('model.name')} s=${num(h('gradflow.sparsity'))}${seedPart}`;
    }
    default:
      return `${row.kind} ${h('model.name') ?? ''}${seedPart}`.replace(/\s+/g, ' ').trim();
  }
}

/** Distinct labels for a set of runs: where two runs share one, the run id's start tells them apart. */
export function uniqueLabels(rows: Pick<RunRow, 'runId' | 'kind' | 'hparams'>[]): Map<string, string> {
  const labels = new Map(rows.map((r) => [r.runId, runLabel(r)]));
  const count = new Map<string, number>();
  for (const l of labels.values()) count.set(l, (count.get(l) ?? 0) + 1);
  for (const [id, l] of labels)
    if ((count.get(l) ?? 0) > 1) labels.set(id, `${l} (${id.replace(/^[a-z_]+_/, '').slice(0, 6)})`);
  return labels;
}

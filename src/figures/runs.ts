/**
 * The one adapter between stored runs and figures: what a figure needs from a run (its label,
 * method, sparsity, seed, accuracy, densities, FLOPs, mask updates, curves), read from the index
 * row, result.json and the run's other files, tolerant of runs stored before these fields existed.
 */
import type { MetricRow, RunRow } from '../store/index-db.js';
import { hparam, runLabel } from './labels.js';
import { FILES } from '../store/names.js';

/** What figures read from a store; `StoreReader` provides it. */
export interface RunSource {
  list(filter: { kind?: string; all?: boolean }): RunRow[];
  get(id: string): RunRow | undefined;
  children(id: string): RunRow[];
  metrics(runId: string): MetricRow[];
  readJson(row: RunRow, name: string): unknown;
}

export interface MaskUpdate {
  step: number;
  /** Fraction of the active weights dropped (and as many regrown) at this update. */
  dropped: number;
  grown: number;
}

export interface RunFacts {
  row: RunRow;
  label: string;
  method?: string;
  sparsity?: number;
  distribution?: string;
  seed?: number;
  testAccuracy?: number;
  densities?: Record<string, number>;
  /** Training (whole run) and inference FLOPs as fractions of the dense model's. */
  trainingFlops?: number;
  inferenceFlops?: number;
  maskUpdates?: MaskUpdate[];
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const rec = (v: unknown) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** The stored result: result.json when present (it has everything), else the index row's summary. */
export function storedResult(src: RunSource, row: RunRow): Record<string, unknown> {
  return { ...(row.result ?? {}), ...(rec(src.readJson(row, FILES.result)) ?? {}) };
}

export function runFacts(src: RunSource, row: RunRow, label = runLabel(row)): RunFacts {
  const r = storedResult(src, row);
  const flops = rec(r.flops) ?? {};
  const method = hparam(row, 'dst.method');
  const densities = rec(r.densities);
  const updates = maskUpdates(src.metrics(row.runId));
  return {
    row,
    label,
    method: typeof method === 'string' ? method : undefined,
    // The target sparsity (what runs are compared at); the achieved one when only that is stored.
    sparsity:
      num(r.targetSparsity) ??
      (method === 'dense' ? 0 : num(hparam(row, 'dst.sparsity'))) ??
      num(r.sparsity) ??
      (rec(r.sparsity) ? 1 - (num(rec(r.sparsity)!.density) ?? 1) : undefined),
    distribution: (hparam(row, 'dst.distribution') as string | undefined) ?? undefined,
    seed: num(hparam(row, 'training.seed')),
    testAccuracy: num(r.testAccuracy),
    densities: densities as Record<string, number> | undefined,
    // trainingFraction is whole-run training cost against dense (M× included, issue 11/12).
    trainingFlops: num(flops.trainingFraction),
    inferenceFlops: num(flops.inferenceFraction),
    maskUpdates: updates,
  };
}

/** A metric's points by exact name, in step order. */
export function metricPoints(rows: MetricRow[], name: string): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (const r of rows)
    if (r.name === name && r.value !== null && Number.isFinite(r.value)) {
      x.push(r.step);
      y.push(r.value);
    }
  return { x, y };
}

/** Mask churn recorded in the index (run-observers.ts): one entry per mask update. */
function maskUpdates(rows: MetricRow[]): MaskUpdate[] | undefined {
  const d = metricPoints(rows, 'maskDropped');
  if (!d.x.length) return undefined;
  const g = new Map(metricPoints(rows, 'maskGrown').x.map((x, i, xs) => [xs[i]!, i]));
  const grown = metricPoints(rows, 'maskGrown').y;
  return d.x.map((step, i) => ({ step, dropped: d.y[i]!, grown: grown[g.get(step) ?? -1] ?? 0 }));
}

/**
 * The training loop's resumable state, as one checkpoint: weights, batch-norm statistics, optimizer
 * and updater buffers, masks, the batch source's position, the rng and the history so far. Saving
 * and restoring it is all a resume needs to end exactly where an uninterrupted run ends.
 */
import { Rng, type RngState } from '../util/rng.js';
import { loadCheckpoint, saveCheckpoint } from '../store/checkpoint.js';
import type { Optimizer } from './optimizers.js';
import type { BatchSource, EpochEvent, SparseUpdater } from './loop-types.js';

/** The live objects whose contents a checkpoint holds (restored in place). */
export interface LoopState {
  weights: Map<string, Float32Array>;
  bnStats: Map<string, { mean: Float32Array; variance: Float32Array }>;
  optimizer: Optimizer;
  sparse?: SparseUpdater;
  source: BatchSource;
  rng: Rng;
}

/** Where the loop stands: what it resumes from. */
export interface LoopProgress {
  step: number;
  history: EpochEvent[];
  /** Training seconds before this piece of the run. */
  wallSeconds: number;
}

interface CheckpointMeta extends LoopProgress {
  rng: RngState;
  source: unknown;
  optimizer: Record<string, number>;
  updater?: Record<string, number>;
}

export function saveLoopState(path: string, s: LoopState, progress: LoopProgress): void {
  const arrays = new Map<string, Float32Array>();
  for (const [n, w] of s.weights) arrays.set(`w/${n}`, w);
  for (const [n, bn] of s.bnStats) {
    arrays.set(`bn/${n}/mean`, bn.mean);
    arrays.set(`bn/${n}/var`, bn.variance);
  }
  const optimizerState = s.optimizer.state();
  for (const [k, v] of optimizerState.buffers) arrays.set(`opt/${k}`, v);
  if (s.sparse) for (const [n, m] of s.sparse.masks) arrays.set(`mask/${n}`, m);
  const updaterState = s.sparse?.state?.();
  if (updaterState) for (const [k, v] of updaterState.buffers) arrays.set(`upd/${k}`, v);
  const meta: CheckpointMeta = {
    step: progress.step,
    rng: s.rng.state,
    source: s.source.state(),
    optimizer: optimizerState.scalars,
    updater: updaterState?.scalars,
    history: progress.history,
    wallSeconds: progress.wallSeconds,
  };
  saveCheckpoint(path, { meta, arrays });
}

/** Restores the state in place from the checkpoint at `path`; undefined when there is none. */
export function restoreLoopState(path: string, s: LoopState): LoopProgress | undefined {
  const ck = loadCheckpoint<CheckpointMeta>(path);
  if (!ck) return undefined;
  for (const [n, w] of s.weights) w.set(ck.arrays.get(`w/${n}`)!);
  for (const [n, bn] of s.bnStats) {
    bn.mean.set(ck.arrays.get(`bn/${n}/mean`)!);
    bn.variance.set(ck.arrays.get(`bn/${n}/var`)!);
  }
  s.optimizer.load({ scalars: ck.meta.optimizer, buffers: prefixed(ck.arrays, 'opt/') });
  if (s.sparse) for (const [n, m] of s.sparse.masks) m.set(ck.arrays.get(`mask/${n}`)!);
  s.sparse?.load?.({ scalars: ck.meta.updater ?? {}, buffers: prefixed(ck.arrays, 'upd/') });
  s.source.load(ck.meta.source);
  Object.assign(s.rng, new Rng(ck.meta.rng));
  return { step: ck.meta.step, history: ck.meta.history, wallSeconds: ck.meta.wallSeconds };
}

function prefixed(arrays: Map<string, Float32Array>, prefix: string): Map<string, Float32Array> {
  return new Map(
    [...arrays].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]),
  );
}

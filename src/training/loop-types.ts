/**
 * The training loop's interfaces: where batches come from, what a step shows a sparse updater, and
 * the callbacks. Their own file, so that loop.ts and loop-state.ts both import them without a cycle.
 */
import type { Batch } from '../data/types.js';
import type { ParamTensors } from '../models/types.js';
import type { Rng } from '../util/rng.js';
import type { Optimizer } from './optimizers.js';
import type { EvalMetrics } from './evaluate.js';

/** Where training batches come from; its position is part of the checkpoint. */
export interface BatchSource {
  next(): Batch;
  state(): unknown;
  load(state: unknown): void;
}

export type Buffers = { scalars: Record<string, number>; buffers: Map<string, Float32Array> };

export interface StepContext {
  step: number;
  totalSteps: number;
  lr: number;
  /** Live buffers of the trainable variables: writing to them changes the model. */
  weights: Map<string, Float32Array>;
  /** This step's dense gradients (unmasked); updaters may change them. */
  grads: Map<string, Float32Array>;
  optimizer: Optimizer;
  batch: Batch;
  rng: Rng;
  /** Dense gradients of the training loss on another batch (e.g. RigL's grow scores). */
  gradients(batch: Batch): Map<string, Float32Array>;
}

/**
 * Sparsity wraps the optimizer (jaxpruner's wrap_optax): the loop masks gradients and weights with
 * `masks`; an updater may also change the masks between steps.
 */
export interface SparseUpdater {
  readonly masks: Map<string, Float32Array>;
  /** Before the optimizer step; returning true replaces it (RigL's mask-update steps). */
  beforeStep?(ctx: StepContext): boolean;
  afterStep?(ctx: StepContext): void;
  /**
   * Whether this step's gradients (ctx.grads) must be dense at the masked weights too (RigL's update
   * steps, SNFS); otherwise sparse layers compute them only at the active weights. Default: true
   * for an updater with beforeStep/afterStep hooks, false for a bare mask.
   */
  denseGradients?(step: number): boolean;
  state?(): Buffers;
  load?(state: Buffers): void;
}

export interface EpochEvent {
  epoch: number;
  step: number;
  totalSteps: number;
  trainLoss: number;
  test: EvalMetrics;
  validation?: EvalMetrics;
}

export interface Callbacks {
  onStep?(step: number, totalSteps: number, loss: number, lr: number): void;
  onEpoch?(e: EpochEvent): void;
  /** At steps listed in `logSteps` (before that step's update): e.g. gradient norms, bootstrap curves. */
  onLog?(step: number, weights: Map<string, Float32Array>, params: () => ParamTensors): void;
}

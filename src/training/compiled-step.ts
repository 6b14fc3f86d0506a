/**
 * The training loop's step and evaluation on the compiled engine (engine/compiled): one native call
 * per batch, on the same variables, masks and optimizer state as the TF.js step in loop.ts, so the
 * two are interchangeable between steps. A sparse updater's hooks run between the gradients and
 * the update, as in loop.ts; without hooks, gradients and update are one call.
 */
import type { ChainPredictor, CompiledMlp } from '../engine/index.js';
import type { Batch, Split } from '../data/types.js';
import type { Rng } from '../util/rng.js';
import { metricsFromLogits, type EvalMetrics } from './evaluate.js';
import type { Optimizer } from './optimizers.js';
import type { SparseUpdater, StepContext } from './loop-types.js';

export interface CompiledStepInput {
  batch: Batch;
  step: number;
  totalSteps: number;
  lr: number;
  labelSmoothing: number;
  /** Dense weight gradients this step (RigL's update steps, SNFS): loop.ts's needsDenseGradients. */
  denseGradients: boolean;
  weights: Map<string, Float32Array>;
  optimizer: Optimizer;
  sparse?: SparseUpdater;
  rng: Rng;
  /** Dense gradients on another batch, for an updater that asks (TF.js computes them). */
  gradients(batch: Batch): Map<string, Float32Array>;
}

/** One step: the batch's loss (float32, as TF.js reports it); a non-finite loss leaves the hooks unrun. */
export function compiledStep(c: CompiledMlp, s: CompiledStepInput): number {
  const { batch, optimizer, sparse } = s;
  const settings = optimizer.compiled!(s.lr);
  const hooks = !!(sparse?.beforeStep || sparse?.afterStep);
  const loss = Math.fround(
    c.step(batch.x, batch.y, batch.n, {
      labelSmoothing: s.labelSmoothing,
      denseGrads: s.denseGradients,
      update: hooks ? undefined : settings,
    }),
  );
  if (!hooks) {
    optimizer.endStep();
    return loss;
  }
  if (!Number.isFinite(loss)) return loss;
  const ctx: StepContext = { ...s, grads: c.grads };
  if (!(sparse!.beforeStep?.(ctx) ?? false)) {
    c.apply(settings);
    optimizer.endStep();
  }
  sparse!.afterStep?.(ctx);
  return loss;
}

/** Test metrics of a split, a batch per native call (the logits' metrics as evaluate.ts computes them). */
export function compiledEvaluate(
  c: Pick<ChainPredictor, 'classes' | 'predict'>,
  split: Split,
  batchSize = 1000,
): EvalMetrics {
  const per = split.x.length / Math.max(1, split.n);
  const logits = new Float32Array(split.n * c.classes);
  for (let start = 0; start < split.n; start += batchSize) {
    const n = Math.min(batchSize, split.n - start);
    logits.set(c.predict(split.x.subarray(start * per, (start + n) * per), n), start * c.classes);
  }
  return metricsFromLogits(logits, split.y, c.classes);
}

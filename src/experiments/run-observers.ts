/**
 * What a run records besides its per-epoch evaluation, without touching the training loop: test
 * metrics every N iterations (so a short run draws a curve), and the mask churn of sparse methods
 * (the fraction of active weights dropped and regrown at each mask update). Both go to the index
 * as metrics, so a killed and resumed run keeps what it had recorded.
 */
import { z } from 'zod';
import type { SparseUpdater, TrainOptions } from '../training/loop.js';
import { evaluate } from '../training/evaluate.js';
import { cloneArrays } from '../util/arrays.js';

/** About this many evaluations per run by default. */
export const DEFAULT_POINTS = 20;

/**
 * What a run records, beside its hyperparameters: these options change what is logged, never what
 * is trained, so they are not part of any run id. Every experiment command takes them as flags.
 */
export const loggingSchema = z
  .object({
    metricsEvery: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        `record test metrics every N iterations (0: per epoch only; unset: about ${DEFAULT_POINTS} points per run); not part of the run id`,
      ),
  })
  .strict();

export type Logging = z.infer<typeof loggingSchema>;

/** Iterations between metric records: the option when given (0 turns it off), else total/20. */
export function metricsEvery(totalSteps: number, every?: number): number {
  return every ?? Math.max(1, Math.ceil(totalSteps / DEFAULT_POINTS));
}

type Record_ = (step: number, metrics: Record<string, number | undefined>) => void;

/**
 * The run's options with the observers added: extra log steps whose evaluation is recorded, and a
 * sparse updater wrapped to measure each mask update. The loop's own behaviour is unchanged.
 */
export function observeRun(o: TrainOptions, record: Record_, logging: Logging = {}): TrainOptions {
  const every = metricsEvery(o.totalSteps, logging.metricsEvery);
  const mine = new Set<number>();
  // Epoch ends are evaluated by the loop already; step 0 shows where training starts.
  if (every > 0)
    for (let s = 0; s < o.totalSteps; s += every) if (s === 0 || s % o.itersPerEpoch !== 0) mine.add(s);
  const theirs = o.logSteps;
  const inner = o.callbacks;
  let lossSum = 0;
  let lossSteps = 0;
  return {
    ...o,
    logSteps: new Set([...(theirs ?? []), ...mine]),
    sparse: o.sparse ? churnObserver(o.sparse, record, Math.max(1, every)) : undefined,
    callbacks: {
      ...inner,
      onStep(step, total, loss, lr) {
        lossSum += loss;
        lossSteps++;
        inner?.onStep?.(step, total, loss, lr);
      },
      onEpoch(e) {
        inner?.onEpoch?.(e);
        // With windowed points in the series, the epoch end gets its window's mean too, not the
        // epoch's: one kind of point per series (an epoch mean between window means is a false step).
        if (mine.size && lossSteps) record(e.step, { trainLoss: lossSum / lossSteps });
        lossSum = lossSteps = 0;
      },
      onLog(step, weights, params) {
        if (mine.has(step)) {
          const t = evaluate(o.model, params, o.test, o.evalBatchSize);
          record(step, {
            testAccuracy: t.accuracy,
            testLoss: t.loss,
            testSoftError: t.softError,
            trainLoss: lossSteps ? lossSum / lossSteps : undefined,
          });
          lossSum = lossSteps = 0;
        }
        if (theirs?.has(step)) inner?.onLog?.(step, weights, params);
      },
    },
  };
}

/** Wraps an updater: after each mask update, records the fraction of active weights (in sparse layers) dropped and grown. */
function churnObserver(u: SparseUpdater, record: Record_, every: number): SparseUpdater {
  let before: Map<string, Float32Array> | undefined;
  // copied into the same arrays each time: a fresh copy per update is garbage V8 has to mark
  const snapshot = () => {
    if (!before) return cloneArrays(u.masks);
    for (const [n, m] of u.masks) before.get(n)!.set(m);
    return before;
  };
  const measure = (step: number) => {
    let active = 0;
    let dropped = 0;
    let grown = 0;
    for (const [n, m] of u.masks) {
      const p = before?.get(n);
      // Layers kept dense (RigL's first layer) are not part of the churn.
      if (!p || p.every((v) => v !== 0)) continue;
      for (let i = 0; i < m.length; i++) {
        if (p[i] !== 0) {
          active++;
          if (m[i] === 0) dropped++;
        } else if (m[i] !== 0) grown++;
      }
    }
    if (active && (dropped || grown))
      record(step, { maskDropped: dropped / active, maskGrown: grown / active });
    before = snapshot();
  };
  return {
    get masks() {
      return u.masks;
    },
    beforeStep: (ctx) => {
      before ??= snapshot();
      const replaced = u.beforeStep?.(ctx) ?? false;
      if (replaced) measure(ctx.step);
      return replaced;
    },
    afterStep: u.afterStep
      ? (ctx) => {
          u.afterStep!(ctx);
          // Pruning schedules (GMP) change masks after the step: compared every N steps, which is cheap.
          if (ctx.step % every !== 0) return;
          const m = u.masks;
          for (const [n, cur] of m) {
            const p = before?.get(n);
            if (p && cur.length === p.length && cur.some((v, i) => v !== p[i])) return measure(ctx.step);
          }
        }
      : undefined,
    state: u.state ? () => u.state!() : undefined,
    load: u.load ? (s) => u.load!(s) : undefined,
    // the wrapped updater's answer (a bare mask never reads gradients): sparse layers stay sparse
    denseGradients: (step) => u.denseGradients?.(step) ?? !!(u.beforeStep || u.afterStep),
  };
}

/**
 * Gradual magnitude pruning (Zhu & Gupta 2017), RigL's "Pruning" baseline: from dense (or s_i) at
 * step t0 to each layer's target sparsity s_l at the end step, every Δt steps, following
 * s_t = s_l + (s_i − s_l)(1 − (t − t0)/(end − t0))³. Each prune keeps the largest |θ| among the
 * still-active weights, so masks only shrink; the optimizer step is taken as usual.
 */
import {
  activeCount,
  countActive,
  gmpSparsity,
  isGmpPruneStep,
  maskFromScores,
  gmpStepFlops,
  prunableSpecs,
  type GmpSchedule,
  type Masks,
} from '../sparsity/index.js';
import type { SparseUpdater, StepContext } from '../training/loop.js';
import { masksChanged } from '../engine/index.js';
import { SprigError } from '../util/errors.js';
import type { UpdaterConfig } from './base.js';
import { GMP_FIELDS, SHAPE_FIELDS, gmpSchedule, type MethodDef } from './method.js';

export class GmpUpdater implements SparseUpdater {
  readonly masks: Masks;
  /** Per sparse layer: its own cubic schedule to its own final sparsity. */
  readonly schedules = new Map<string, GmpSchedule>();

  constructor(cfg: UpdaterConfig) {
    if (!cfg.gmp)
      throw new SprigError(
        'gmp needs a pruning schedule (begin, end, frequency)',
        'pass gmp: { begin, end, frequency }',
      );
    this.masks = cfg.masks;
    const { begin, end, frequency, initialSparsity } = cfg.gmp;
    for (const s of prunableSpecs(cfg.specs)) {
      const final = 1 - (cfg.densities.get(s.name) ?? 1);
      if (final > 0)
        this.schedules.set(s.name, {
          initialSparsity: Math.min(initialSparsity, final),
          finalSparsity: final,
          begin,
          end,
          frequency,
        });
    }
  }

  denseGradients(): boolean {
    return false;
  }

  beforeStep(ctx: StepContext): boolean {
    for (const [n, g] of this.schedules) {
      if (!isGmpPruneStep(g, ctx.step)) continue;
      const mask = this.masks.get(n)!;
      const w = ctx.weights.get(n)!;
      const keep = 1 - gmpSparsity(g, ctx.step);
      // inactive weights score −∞, so they stay pruned and the kept set only shrinks
      const scores = w.map((x, i) => (mask[i] === 0 ? -Infinity : Math.abs(x)));
      if (activeCount(mask.length, keep) >= countActive(mask)) continue;
      const next = maskFromScores(new Map([[n, scores]]), new Map([[n, keep]])).get(n)!;
      mask.set(next);
      masksChanged();
      for (let i = 0; i < w.length; i++) if (next[i] === 0) w[i] = 0;
    }
    return false;
  }
}

export const gmpUpdater = (cfg: UpdaterConfig) => new GmpUpdater(cfg);

export const gmp: MethodDef = {
  description: 'gradual magnitude pruning (Zhu & Gupta)',
  start: 'dense',
  fields: [...SHAPE_FIELDS, ...GMP_FIELDS],
  schedule: gmpSchedule,
  create: gmpUpdater,
  stepFlops(x) {
    // one schedule over the FLOPs-weighted final sparsity: exact for s_i = 0, since every layer follows the same cubic
    const finalSparsity = 1 - x.fS / x.fD;
    const g = x.schedules.gmp!;
    const schedule = { ...g, initialSparsity: Math.min(g.initialSparsity, finalSparsity), finalSparsity };
    return gmpStepFlops(x.fD, schedule, x.totalSteps);
  },
};

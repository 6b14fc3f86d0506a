/**
 * The one updater interface every sparse-training method implements (jaxpruner style): a method is
 * a `SparseUpdater` (training/loop.ts) that wraps the optimizer. Drop-and-grow methods (SET, RigL,
 * SNFS) share `DropGrowUpdater` and differ only in their grow scores.
 */
import type { ParamSpec } from '../models/types.js';
import { masksChanged } from '../engine/index.js';
import type { SparseUpdater, StepContext } from '../training/loop.js';
import {
  activeCount,
  countActive,
  dropAndGrow,
  dropFraction,
  isUpdateStep,
  type DropSchedule,
  type LayerDensities,
  type Masks,
  type SparseInitName,
} from '../sparsity/index.js';

/** Everything a method needs to build its updater. */
export interface UpdaterConfig {
  specs: readonly ParamSpec[];
  /** The starting masks (random at the target densities, or dense for SNIP and GMP); updated in place. */
  masks: Masks;
  /** Target density per prunable weight (layerDensities). */
  densities: LayerDensities;
  /** RigL's drop schedule: α, ΔT, T_end, decay. */
  schedule: DropSchedule;
  /** GMP only: Zhu & Gupta's t0, end and Δt, and the sparsity s_i reached at t0. */
  gmp?: { begin: number; end: number; frequency: number; initialSparsity: number };
  /** SNIP only: how to initialise the kept weights once the mask is chosen at step 0. */
  init?: SparseInitName;
  /** SNIP's unit_scaled init: var = initScale / masked fan-in (default INIT_SCALE). */
  initScale?: number;
}

/** A fixed mask: the loop masks gradients and weights, nothing else happens. */
export class FixedMaskUpdater implements SparseUpdater {
  constructor(readonly masks: Masks) {}
  denseGradients(): boolean {
    return false;
  }
}

/** Names of the layers an updater may change: those whose target density is below 1 (dense layers stay dense). */
export function sparseLayerNames(specs: readonly ParamSpec[], densities: LayerDensities): string[] {
  return specs.filter((s) => s.prunable && (densities.get(s.name) ?? 1) < 1).map((s) => s.name);
}

export interface DropGrowResult {
  /** Per layer: the positions that became active (regrown), which start at zero with fresh moments. */
  grown: Map<string, number[]>;
  /** Per layer: how many weights were dropped (and regrown). */
  k: Map<string, number>;
}

/**
 * RigL Alg. 1 on one update step: in every sparse layer drop the k = round(f(t)·active) active
 * weights of smallest |θ|, then grow the k inactive connections (just-dropped ones included) with
 * the highest grow score. The active count per layer stays exactly the same.
 */
export abstract class DropGrowUpdater implements SparseUpdater {
  readonly masks: Masks;
  protected readonly layers: string[];

  constructor(protected readonly cfg: UpdaterConfig) {
    this.masks = cfg.masks;
    this.layers = sparseLayerNames(cfg.specs, cfg.densities);
  }

  /** Dense gradients on the mask-update steps, for the grow scores (RigL); SET and SNFS override. */
  denseGradients(step: number): boolean {
    return isUpdateStep(this.cfg.schedule, step);
  }

  /** Writes the scores for growing connections in layer `name` into `out` (higher grows first). */
  protected abstract growScores(ctx: StepContext, name: string, out: Float32Array): void;

  beforeStep(ctx: StepContext): boolean {
    if (!isUpdateStep(this.cfg.schedule, ctx.step)) return false;
    this.update(ctx, dropFraction(this.cfg.schedule, ctx.step));
    return true; // the mask update replaces the optimizer step (RigL Alg. 1)
  }

  /** One drop-and-grow update at drop fraction f; returns what changed. */
  update(ctx: StepContext, f: number): DropGrowResult {
    const out: DropGrowResult = { grown: new Map(), k: new Map() };
    for (const name of this.layers) {
      const mask = this.masks.get(name)!;
      const k = activeCount(countActive(mask), f);
      out.k.set(name, k);
      if (k === 0) continue;
      if (this.scores.length < mask.length) this.scores = new Float32Array(mask.length);
      const scores = this.scores.subarray(0, mask.length);
      this.growScores(ctx, name, scores);
      const grown = dropAndGrow(mask, ctx.weights.get(name)!, k, scores);
      masksChanged();
      ctx.optimizer.resetMoments(name, grown);
      out.grown.set(name, grown);
    }
    return out;
  }

  /** The grow scores' buffer, reused across updates and layers. */
  private scores = new Float32Array(0);
}

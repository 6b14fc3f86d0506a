/**
 * The one updater interface every sparse-training method implements (jaxpruner style): a method is
 * a `SparseUpdater` (training/loop.ts) that wraps the optimizer. Drop-and-grow methods (SET, RigL,
 * SNFS) share `DropGrowUpdater` and differ only in their grow scores.
 */
import type { ParamSpec } from '../models/types.js';
import { masksChanged } from '../engine/kernels/sparse-engine.js';
import type { SparseUpdater, StepContext } from '../training/loop.js';
import {
  activeCount,
  countActive,
  dropFraction,
  isUpdateStep,
  maskFromScores,
  pruneByScores,
  sizeOf,
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
  /** SNFS only: momentum of the dense-gradient EMA (0.9 in RigL's SNFS). */
  snfsMomentum?: number;
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

  /** Scores for growing connections in layer `name` (higher grows first). */
  protected abstract growScores(ctx: StepContext, name: string): Float32Array;

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
      const w = ctx.weights.get(name)!;
      const active = countActive(mask);
      const k = activeCount(active, f);
      out.k.set(name, k);
      if (k === 0) continue;
      const spec = this.cfg.specs.filter((s) => s.name === name);
      // drop: the k smallest |θ| among the active weights (all of them when f = 1)
      const kept =
        k === active
          ? new Float32Array(mask.length)
          : pruneByScores(spec, new Map([[name, mask]]), new Map([[name, activeMagnitudes(w, mask)]]), {
              fraction: k / active,
              scope: 'layer',
              rates: { [name]: k / active },
            }).get(name)!;
      // grow: kept connections score +∞, so the top `active` scores are the kept ones plus the k best candidates
      const g = this.growScores(ctx, name);
      const scores = new Float32Array(mask.length);
      for (let i = 0; i < mask.length; i++) scores[i] = kept[i] === 1 ? Infinity : g[i]!;
      const next = maskFromScores(
        new Map([[name, scores]]),
        new Map([[name, active / sizeOf(spec[0]!.shape)]]),
      ).get(name)!;
      const grown: number[] = [];
      for (let i = 0; i < mask.length; i++) {
        if (next[i] === 0) w[i] = 0;
        else if (kept[i] === 0) {
          w[i] = 0; // regrown connections start at zero (RigL), also a just-dropped one
          grown.push(i);
        }
      }
      mask.set(next);
      masksChanged();
      ctx.optimizer.resetMoments(name, grown);
      out.grown.set(name, grown);
    }
    return out;
  }
}

/** |w| at the active positions (the only ones pruning reads), 0 elsewhere. */
function activeMagnitudes(w: Float32Array, mask: Float32Array): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) if (mask[i] !== 0) out[i] = Math.abs(w[i]!);
  return out;
}

/**
 * SNIP (Lee et al. 2019): one-shot connection sensitivity |θ ⊙ ∇L| of the dense network at init,
 * on the first training batch; each layer keeps its highest-scoring weights at its target density,
 * and the mask is fixed from then on. The run starts from dense masks; the choice happens at step 0.
 */
import { maskFromScores, sparseInit, type Masks } from '../sparsity/index.js';
import type { Buffers, SparseUpdater, StepContext } from '../training/loop.js';
import { sparseLayerNames, type UpdaterConfig } from './base.js';
import { masksChanged } from '../engine/index.js';
import { INIT_FIELDS, SHAPE_FIELDS, sparseStepFlops, type MethodDef } from './method.js';

export class SnipUpdater implements SparseUpdater {
  readonly masks: Masks;
  private done = false;

  constructor(private readonly cfg: UpdaterConfig) {
    this.masks = cfg.masks;
  }

  /** Connection sensitivity |θ ⊙ ∇L|; the one thing a variant pruning at init by another score changes. */
  protected saliency(w: Float32Array, g: Float32Array): Float32Array {
    return w.map((x, i) => Math.abs(x * g[i]!));
  }

  /** The connection sensitivities at step 0 need the dense gradient. */
  denseGradients(): boolean {
    return !this.done;
  }

  beforeStep(ctx: StepContext): boolean {
    if (this.done) return false;
    this.done = true;
    const names = sparseLayerNames(this.cfg.specs, this.cfg.densities);
    const scores = new Map<string, Float32Array>();
    for (const n of names) scores.set(n, this.saliency(ctx.weights.get(n)!, ctx.grads.get(n)!));
    for (const [n, m] of maskFromScores(scores, this.cfg.densities)) this.masks.get(n)!.set(m);
    masksChanged();
    const init = this.cfg.init ?? 'dense';
    sparseInit(this.cfg.specs, ctx.weights, this.masks, init, ctx.rng, { scale: this.cfg.initScale });
    if (init !== 'dense') {
      // new weights: this step's gradients must be those of the re-initialised sparse network
      for (const [n, g] of ctx.gradients(ctx.batch)) ctx.grads.get(n)!.set(g);
    }
    return false; // the loop masks the gradients and takes the optimizer step as usual
  }

  state(): Buffers {
    return { scalars: { snipDone: this.done ? 1 : 0 }, buffers: new Map() };
  }

  load(s: Buffers): void {
    this.done = s.scalars.snipDone === 1;
  }
}

export const snipUpdater = (cfg: UpdaterConfig) => new SnipUpdater(cfg);

export const snip: MethodDef = {
  description: 'one-shot |θ·∇L| saliency at init (Lee et al.)',
  start: 'dense',
  fields: [...SHAPE_FIELDS, ...INIT_FIELDS],
  create: snipUpdater,
  stepFlops: sparseStepFlops, // the dense step 0 is not counted (RigL App. H)
};

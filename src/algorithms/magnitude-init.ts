/**
 * Magnitude pruning at initialisation, the baseline of Frankle et al. 2021 ("Pruning neural
 * networks at initialization: why are we missing the mark?"): at step 0 each layer keeps its
 * largest |θ0| at its target density, and the mask is fixed from then on. SNIP with |θ| for |θ·∇L|.
 */
import { SnipUpdater } from './snip.js';
import { INIT_FIELDS, SHAPE_FIELDS, sparseStepFlops, type MethodDef } from './method.js';

export class MagnitudeInitUpdater extends SnipUpdater {
  protected override saliency(w: Float32Array): Float32Array {
    return w.map(Math.abs);
  }
}

export const magnitudeInit: MethodDef = {
  description: 'keep the largest |θ0| per layer at init, then a fixed mask (Frankle et al. 2021)',
  start: 'dense',
  fields: [...SHAPE_FIELDS, ...INIT_FIELDS],
  create: (cfg) => new MagnitudeInitUpdater(cfg),
  stepFlops: sparseStepFlops,
};

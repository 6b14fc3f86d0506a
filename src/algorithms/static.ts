/** Static sparse training: a fixed random mask at the target densities (RigL's "Static" baseline). */
import { FixedMaskUpdater, type UpdaterConfig } from './base.js';
import type { SparseUpdater } from '../training/loop.js';
import { INIT_FIELDS, SHAPE_FIELDS, sparseStepFlops, type MethodDef } from './method.js';

export function staticUpdater(cfg: UpdaterConfig): SparseUpdater {
  return new FixedMaskUpdater(cfg.masks);
}

export const staticMethod: MethodDef = {
  description: 'a fixed random mask',
  start: 'random',
  fields: [...SHAPE_FIELDS, ...INIT_FIELDS],
  create: staticUpdater,
  stepFlops: sparseStepFlops,
};

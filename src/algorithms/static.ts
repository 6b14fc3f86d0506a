/** Static sparse training: a fixed random mask at the target densities (RigL's "Static" baseline). */
import { FixedMaskUpdater, type UpdaterConfig } from './base.js';
import type { SparseUpdater } from '../training/loop.js';

export function staticUpdater(cfg: UpdaterConfig): SparseUpdater {
  return new FixedMaskUpdater(cfg.masks);
}

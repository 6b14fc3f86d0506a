/**
 * SET (Mocanu et al. 2018, as run in RigL's experiments): drop by magnitude, grow uniformly at
 * random among the inactive connections, on RigL's ΔT / α / cosine schedule.
 */
import { DropGrowUpdater, type UpdaterConfig } from './base.js';
import type { StepContext } from '../training/loop.js';
import {
  DROP_FIELDS,
  INIT_FIELDS,
  SHAPE_FIELDS,
  dropGrowSchedule,
  sparseStepFlops,
  type MethodDef,
} from './method.js';

export class SetUpdater extends DropGrowUpdater {
  /** Random growth reads no gradient. */
  override denseGradients(): boolean {
    return false;
  }

  protected override growScores(ctx: StepContext, _name: string, out: Float32Array): void {
    // the loop's rng is in the checkpoint, so a resumed run grows the same connections
    for (let i = 0; i < out.length; i++) out[i] = ctx.rng.next();
  }
}

export const setUpdater = (cfg: UpdaterConfig) => new SetUpdater(cfg);

export const set: MethodDef = {
  description: 'drop by magnitude, grow at random (Mocanu et al.)',
  start: 'random',
  fields: [...SHAPE_FIELDS, ...INIT_FIELDS, ...DROP_FIELDS],
  schedule: dropGrowSchedule,
  create: setUpdater,
  stepFlops: sparseStepFlops,
};

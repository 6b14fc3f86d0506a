/**
 * RigL (Evci et al. 2020, Alg. 1): drop by magnitude, grow the connections with the largest
 * |dense gradient| of the current mini-batch. The dense gradient is only needed on update steps;
 * the loop hands it over unmasked in ctx.grads. The update replaces that step's optimizer step.
 */
import { DropGrowUpdater, type UpdaterConfig } from './base.js';
import type { StepContext } from '../training/loop.js';
import { riglStepFlops } from '../sparsity/index.js';
import { DROP_FIELDS, INIT_FIELDS, SHAPE_FIELDS, dropGrowSchedule, type MethodDef } from './method.js';

export class RiglUpdater extends DropGrowUpdater {
  protected override growScores(ctx: StepContext, name: string, out: Float32Array): void {
    const g = ctx.grads.get(name)!;
    for (let i = 0; i < out.length; i++) out[i] = Math.abs(g[i]!);
  }
}

export const riglUpdater = (cfg: UpdaterConfig) => new RiglUpdater(cfg);

export const rigl: MethodDef = {
  description: 'drop by magnitude, grow by |dense gradient| (Evci et al.)',
  start: 'random',
  fields: [...SHAPE_FIELDS, ...INIT_FIELDS, ...DROP_FIELDS],
  schedule: dropGrowSchedule,
  create: riglUpdater,
  stepFlops: (x) => riglStepFlops(x.fS, x.fD, x.schedules.drop?.deltaT),
};

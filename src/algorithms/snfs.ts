/**
 * SNFS as RigL implements it (Dettmers & Zettlemoyer 2019, without layer redistribution): drop by
 * magnitude, grow by |EMA of the dense gradients|, the EMA updated on every step (momentum 0.9).
 * That dense gradient every step is why SNFS costs 2f_S + f_D per step.
 */
import { z } from 'zod';
import { DropGrowUpdater, type UpdaterConfig } from './base.js';
import type { Buffers, StepContext } from '../training/loop.js';
import { snfsStepFlops } from '../sparsity/index.js';
import { DROP_FIELDS, INIT_FIELDS, SHAPE_FIELDS, dropGrowSchedule, withParams } from './method.js';

/** SNFS's own setting: the EMA's momentum β (0.9 in RigL's SNFS). */
export const snfsParams = z.object({
  snfsMomentum: z
    .number()
    .min(0)
    .lt(1)
    .default(0.9)
    .describe('SNFS: momentum of the dense-gradient EMA, in [0, 1)'),
});
export type SnfsParams = z.infer<typeof snfsParams>;

export class SnfsUpdater extends DropGrowUpdater {
  private readonly ema = new Map<string, Float32Array>();
  private readonly beta: number;

  constructor(cfg: UpdaterConfig, params: SnfsParams = snfsParams.parse({})) {
    super(cfg);
    this.beta = params.snfsMomentum;
    for (const n of this.layers) this.ema.set(n, new Float32Array(this.masks.get(n)!.length));
  }

  override beforeStep(ctx: StepContext): boolean {
    // m ← β·m + (1 − β)·g with this step's dense gradient, before any update uses it
    const b = this.beta;
    for (const [n, m] of this.ema) {
      const g = ctx.grads.get(n)!;
      for (let i = 0; i < m.length; i++) m[i] = b * m[i]! + (1 - b) * g[i]!;
    }
    return super.beforeStep(ctx);
  }

  /** The EMA of the dense gradients is updated on every step. */
  override denseGradients(): boolean {
    return true;
  }

  protected override growScores(_ctx: StepContext, name: string, out: Float32Array): void {
    const m = this.ema.get(name)!;
    for (let i = 0; i < out.length; i++) out[i] = Math.abs(m[i]!);
  }

  state(): Buffers {
    return { scalars: {}, buffers: new Map([...this.ema].map(([n, m]) => [`ema/${n}`, m])) };
  }

  load(s: Buffers): void {
    for (const [n, m] of this.ema) {
      const v = s.buffers.get(`ema/${n}`);
      if (v) m.set(v);
    }
  }
}

export const snfsUpdater = (cfg: UpdaterConfig, params?: SnfsParams) => new SnfsUpdater(cfg, params);

export const snfs = withParams({
  description: 'drop by magnitude, grow by |EMA of dense gradients| (Dettmers & Zettlemoyer)',
  start: 'random',
  fields: [...SHAPE_FIELDS, ...INIT_FIELDS, ...DROP_FIELDS],
  params: snfsParams,
  schedule: dropGrowSchedule,
  create: snfsUpdater,
  stepFlops: (x) => snfsStepFlops(x.fS, x.fD),
});

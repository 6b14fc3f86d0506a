/** Learning-rate schedules as functions of the iteration, with optional linear warm-up. */
export interface LrHparams {
  lr: number;
  lrSchedule: 'constant' | 'multistep' | 'cosine';
  /** Iterations at which multistep multiplies the rate by `gamma`. */
  milestones: number[];
  gamma: number;
  /** Iterations of linear warm-up from lr/warmup to lr (Goyal et al. 2017). */
  warmup: number;
}

export const LR_SCHEDULES = ['constant', 'multistep', 'cosine'] as const;

export function learningRate(h: LrHparams, step: number, totalSteps: number): number {
  let lr = h.lr;
  if (h.lrSchedule === 'multistep') {
    for (const m of h.milestones) if (step >= m) lr *= h.gamma;
  } else if (h.lrSchedule === 'cosine') {
    lr *= 0.5 * (1 + Math.cos((Math.PI * Math.min(step, totalSteps)) / Math.max(1, totalSteps)));
  }
  if (h.warmup > 0 && step < h.warmup) lr *= (step + 1) / h.warmup;
  return lr;
}

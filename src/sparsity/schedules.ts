/**
 * When and how much the mask changes: RigL's drop-fraction decay and update steps (papers.md §3,
 * App. G of RigL) and Zhu & Gupta's gradual magnitude pruning (GMP) sparsity schedule.
 * Steps t are 0-based global optimizer steps.
 */
import { SprigError, unknownName } from '../util/errors.js';

export const decayNames = ['cosine', 'constant', 'inverse_power'] as const;
export type DecayName = (typeof decayNames)[number];

export interface DropSchedule {
  /** α: drop fraction at the first update. RigL default 0.3. */
  dropFraction: number;
  /** ΔT: steps between mask updates. RigL default 100. */
  deltaT: number;
  /** T_end: last step at which the mask may change. RigL default 0.75 × total steps. */
  tEnd: number;
  /** First step of the schedule (t is counted from here). Default 0. */
  begin?: number;
  /** Default 'cosine'. */
  decay?: DecayName;
  /** k of the inverse-power decay α(1 − t/T_end)^k. Default 1. */
  power?: number;
}

/** RigL's defaults for a run of `totalSteps` steps: α = 0.3, ΔT = 100, cosine, T_end = 75 % of training. */
export function defaultDropSchedule(totalSteps: number): DropSchedule {
  return {
    dropFraction: 0.3,
    deltaT: 100,
    tEnd: defaultTEnd(totalSteps),
    begin: 0,
    decay: 'cosine',
    power: 1,
  };
}

/** T_end = round(0.75 · total steps) (RigL: 75k of 97,656 CIFAR steps, 25k of 32k ImageNet). */
export function defaultTEnd(totalSteps: number): number {
  return Math.round(0.75 * totalSteps);
}

/** Throws SprigError for a schedule that cannot run within `totalSteps` steps. */
export function validateDropSchedule(s: DropSchedule, totalSteps: number): void {
  const begin = s.begin ?? 0;
  if (!Number.isInteger(s.deltaT) || s.deltaT <= 0)
    throw new SprigError(
      `ΔT (deltaT) = ${s.deltaT} must be a whole number of steps > 0`,
      'use e.g. --delta-t 100 (RigL default)',
    );
  if (!Number.isFinite(s.dropFraction) || s.dropFraction < 0 || s.dropFraction > 1)
    throw new SprigError(
      `drop fraction α = ${s.dropFraction} is outside [0, 1]`,
      'use e.g. --drop-fraction 0.3 (RigL default)',
    );
  if (!Number.isInteger(begin) || begin < 0)
    throw new SprigError(`schedule begin ${begin} must be a whole step ≥ 0`, 'start at step 0 or later');
  if (!Number.isFinite(s.tEnd) || s.tEnd > totalSteps)
    throw new SprigError(
      `T_end (tEnd) = ${s.tEnd} is past the end of training (${totalSteps} steps)`,
      `use a T_end ≤ ${totalSteps}, e.g. ${defaultTEnd(totalSteps)} (75 % of training)`,
    );
  if (s.tEnd <= begin)
    throw new SprigError(
      `T_end (tEnd) = ${s.tEnd} is not after the schedule begin (${begin})`,
      'make T_end larger than begin',
    );
  const decay = s.decay ?? 'cosine';
  if (!decayNames.includes(decay)) throw unknownName('drop-fraction decay', decay, decayNames);
  if (decay === 'inverse_power' && !((s.power ?? 1) > 0))
    throw new SprigError(
      `inverse-power exponent k = ${s.power} must be > 0`,
      'use k = 1 or k = 3 (RigL App. G)',
    );
}

/**
 * f_decay(t), the fraction of a layer's active weights dropped (and regrown) at step t:
 *   cosine         α/2·(1 + cos(π t/T_end))     (RigL eq. 1; tf.train.cosine_decay)
 *   constant       α
 *   inverse_power  α·(1 − t/T_end)^k
 * with t counted from `begin` and clamped to [0, T_end − begin] as cosine_decay does; 0 after T_end.
 */
export function dropFraction(s: DropSchedule, t: number): number {
  const begin = s.begin ?? 0;
  const span = s.tEnd - begin;
  const x = Math.min(Math.max(t - begin, 0), span) / span;
  switch (s.decay ?? 'cosine') {
    case 'cosine':
      return (s.dropFraction / 2) * (1 + Math.cos(Math.PI * x));
    case 'constant':
      return t > s.tEnd ? 0 : s.dropFraction;
    case 'inverse_power':
      return s.dropFraction * Math.pow(1 - x, s.power ?? 1);
  }
}

/**
 * True when step t updates the mask: every ΔT steps after `begin` (not at begin itself, where the
 * mask is fresh), up to and including T_end (RigL Alg. 1: t mod ΔT = 0 and t ≤ T_end).
 */
export function isUpdateStep(s: DropSchedule, t: number): boolean {
  const begin = s.begin ?? 0;
  const u = t - begin;
  return u > 0 && t <= s.tEnd && u % s.deltaT === 0;
}

// ---- Zhu & Gupta (2017) gradual magnitude pruning ----

export interface GmpSchedule {
  /** s_i, reached at the first pruning step t0. Default 0. */
  initialSparsity?: number;
  /** s_f, reached at the end step. */
  finalSparsity: number;
  /** t0: first pruning step. */
  begin: number;
  /** t0 + n·Δt: last pruning step (pruning also happens here when (end − t0) is not a multiple of Δt). */
  end: number;
  /** Δt: steps between pruning steps. */
  frequency: number;
}

export function validateGmpSchedule(g: GmpSchedule, totalSteps: number): void {
  const si = g.initialSparsity ?? 0;
  if (!Number.isFinite(g.finalSparsity) || g.finalSparsity < 0 || g.finalSparsity >= 1)
    throw new SprigError(`final sparsity ${g.finalSparsity} is outside [0, 1)`, 'e.g. 0.9 for 90 % sparse');
  if (!Number.isFinite(si) || si < 0 || si > g.finalSparsity)
    throw new SprigError(
      `initial sparsity ${si} must be in [0, final sparsity ${g.finalSparsity}]`,
      'use 0 to start dense',
    );
  if (!Number.isInteger(g.frequency) || g.frequency <= 0)
    throw new SprigError(
      `pruning frequency Δt = ${g.frequency} must be a whole number of steps > 0`,
      'use e.g. 100',
    );
  if (!Number.isInteger(g.begin) || g.begin < 0)
    throw new SprigError(
      `pruning begin step ${g.begin} must be a whole step ≥ 0`,
      'start at step 0 or later',
    );
  if (g.end > totalSteps)
    throw new SprigError(
      `pruning end step ${g.end} is past the end of training (${totalSteps} steps)`,
      `use an end ≤ ${totalSteps}`,
    );
  if (g.end <= g.begin)
    throw new SprigError(
      `pruning end step ${g.end} is not after its begin step ${g.begin}`,
      'make end larger than begin',
    );
}

/**
 * Target sparsity at step t, Zhu & Gupta eq. 1: s_t = s_f + (s_i − s_f)(1 − (t − t0)/(end − t0))³,
 * with t clamped to [t0, end] (s_i before t0, s_f after end), as in TF model-pruning.
 */
export function gmpSparsity(g: GmpSchedule, t: number): number {
  const si = g.initialSparsity ?? 0;
  const x = Math.min(Math.max((t - g.begin) / (g.end - g.begin), 0), 1);
  return g.finalSparsity + (si - g.finalSparsity) * Math.pow(1 - x, 3);
}

/** True at t0, t0 + Δt, … up to end, and at end itself. */
export function isGmpPruneStep(g: GmpSchedule, t: number): boolean {
  return t >= g.begin && t <= g.end && ((t - g.begin) % g.frequency === 0 || t === g.end);
}

/**
 * Sparsity the network actually has while training step t: the target of the last pruning step
 * ≤ t, and 0 (dense) before t0. Used for GMP's FLOPs E_t[3 f_D (1 − s_t)].
 */
export function gmpSparsityAt(g: GmpSchedule, t: number): number {
  if (t < g.begin) return 0;
  if (t >= g.end) return g.finalSparsity;
  const last = g.begin + Math.floor((t - g.begin) / g.frequency) * g.frequency;
  return gmpSparsity(g, last);
}

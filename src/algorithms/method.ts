/**
 * What a sparse-training method knows about itself, in its own file: how it starts, which fields of
 * the `dst` group shape its runs (and so enter its run id), its own settings, how it resolves its
 * schedule, how it builds its updater and how much a training step costs (RigL App. H). The
 * registry lists them.
 */
import type { z } from 'zod';
import type { Model } from '../models/types.js';
import type { SparseUpdater } from '../training/loop.js';
import {
  validateDropSchedule,
  validateGmpSchedule,
  type DropSchedule,
  type LayerDensities,
  type Masks,
} from '../sparsity/index.js';
import type { ParamSpec } from '../models/types.js';
import type { UpdaterConfig } from './base.js';

/** Fields every sparse method hashes: the target network's shape (and RigL's M×). */
export const SHAPE_FIELDS = [
  'method',
  'sparsity',
  'distribution',
  'denseFirstLayer',
  'powerScale',
  'densities',
  'multiplier',
] as const;
export const INIT_FIELDS = ['init'] as const;
export const DROP_FIELDS = ['deltaT', 'dropFraction', 'dropDecay', 'decayPower', 'tEnd'] as const;
export const GMP_FIELDS = ['gmpBegin', 'gmpEnd', 'gmpFrequency', 'gmpInitialSparsity', 'deltaT'] as const;

/** The schedule fields of the `dst` group a method may read (points in training are not yet resolved). */
export interface ScheduleFields {
  sparsity: number;
  deltaT: number;
  dropFraction: number;
  dropDecay: string;
  decayPower: number;
  tEnd: number | string;
  gmpBegin: number | string;
  gmpEnd: number | string;
  gmpFrequency?: number;
  gmpInitialSparsity: number;
}

export interface GmpPlan {
  begin: number;
  end: number;
  frequency: number;
  initialSparsity: number;
}

export interface ScheduleInput {
  fields: ScheduleFields;
  /** Training length in iterations (already M×). */
  totalSteps: number;
  /** A point in training → iteration: a fraction of totalSteps, or a Step (times M in `dst`). */
  iterationOf(what: string, v: number | string): number;
}

export interface Schedules {
  drop?: DropSchedule;
  gmp?: GmpPlan;
}

export interface StepFlopsInput {
  /** The trained model's parameters and its final masks (none for dense baselines). */
  specs: readonly ParamSpec[];
  finalMasks?: Masks;
  /** f_D of the trained model and f_S under its final masks (f_S = f_D without masks). */
  fD: number;
  fS: number;
  schedules: Schedules;
  totalSteps: number;
}

export interface MethodDef {
  description: string;
  /**
   * The masks a run starts from: 'random' at the target densities (static, SET, RigL, SNFS),
   * 'dense' (SNIP chooses its mask at step 0, GMP prunes gradually), or none (dense baselines).
   */
  start: 'random' | 'dense' | 'none';
  /** Fields of the `dst` group that shape its runs; the others are reset to defaults for the run id. */
  fields: readonly string[];
  /**
   * Its own settings (SNFS's momentum), with their defaults: the `dst` group adds them to the shared
   * fields, so they get flags, config keys and sweep axes, and they enter this method's run ids.
   */
  params?: MethodParams;
  /** Its schedule in iterations, checked against the training length. */
  schedule?(x: ScheduleInput): Schedules;
  /** Its updater; `params` holds its own settings (among others), default: their defaults. */
  create(cfg: UpdaterConfig, params?: Record<string, unknown>): SparseUpdater | undefined;
  /** Training FLOPs per example per step. */
  stepFlops(x: StepFlopsInput): number;
  /** The dense model it trains instead of the reference, by name (small_dense). */
  model?(reference: Model, densities: LayerDensities): string;
}

/** A method's own fields of the `dst` group. */
export type MethodParams = z.ZodObject;

type ParamsMethod<P extends MethodParams> = Omit<MethodDef, 'params' | 'create'> & {
  params: P;
  create(cfg: UpdaterConfig, params: z.infer<P>): SparseUpdater | undefined;
};

/**
 * A method with settings of its own: its params schema picks them out of the values it is given
 * (the `dst` group), so its updater receives them typed and defaulted; they join its run-id fields.
 */
export function withParams<P extends MethodParams>(def: ParamsMethod<P>): MethodDef & { params: P } {
  return {
    ...def,
    fields: [...def.fields, ...Object.keys(def.params.shape)],
    create: (cfg, params = {}) => def.create(cfg, def.params.parse(params)),
  };
}

/** RigL's drop schedule (ΔT, α, T_end, decay), shared by the drop-and-grow methods. */
export function dropGrowSchedule(x: ScheduleInput): Schedules {
  const f = x.fields;
  const drop: DropSchedule = {
    dropFraction: f.dropFraction,
    deltaT: f.deltaT,
    tEnd: x.iterationOf('T_end (tEnd)', f.tEnd),
    begin: 0,
    decay: f.dropDecay as DropSchedule['decay'],
    power: f.decayPower,
  };
  validateDropSchedule(drop, x.totalSteps);
  return { drop };
}

/** Zhu & Gupta's t0, end, Δt (default ΔT) and s_i. */
export function gmpSchedule(x: ScheduleInput): Schedules {
  const f = x.fields;
  const gmp: GmpPlan = {
    begin: x.iterationOf('gmpBegin', f.gmpBegin),
    end: x.iterationOf('gmpEnd', f.gmpEnd),
    frequency: f.gmpFrequency ?? f.deltaT,
    initialSparsity: f.gmpInitialSparsity,
  };
  validateGmpSchedule({ ...gmp, finalSparsity: f.sparsity }, x.totalSteps);
  return { gmp };
}

/** A sparse forward and backward pass every step: 3 f_S (static, SET, SNIP). */
export const sparseStepFlops = (x: StepFlopsInput) => 3 * x.fS;

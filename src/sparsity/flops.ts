/**
 * Theoretical FLOPs (RigL App. H, papers.md §3). A weight used u times per example (spec.usesPerExample:
 * outH·outW for conv, 1 for dense) costs 2·u FLOPs forward (a multiply and an add) when active.
 * Biases and batch-norm parameters are NOT counted by default, as in RigL's accounting of conv/FC
 * multiply-adds; with includeNonPrunable they cost u FLOPs each (one add or one multiply per use).
 * Weights that are not prunable (e.g. an excluded layer) always count, dense.
 * Each sparse method picks its training formula in its own file (src/algorithms: stepFlops).
 */
import type { ParamSpec } from '../models/types.js';
import { SprigError } from '../util/errors.js';
import { countActive, sizeOf, type Masks } from './mask.js';
import { gmpSparsityAt, type GmpSchedule } from './schedules.js';

export interface FlopsOptions {
  /** Count biases and batch-norm parameters (u FLOPs each per example). Default false. */
  includeNonPrunable?: boolean;
}

const isWeight = (s: ParamSpec) => s.kind === 'dense' || s.kind === 'conv';

/** Forward FLOPs per example with every layer at `activeOf(spec)` active weights. */
function forward(
  specs: readonly ParamSpec[],
  activeOf: (s: ParamSpec) => number,
  opts: FlopsOptions,
): number {
  let f = 0;
  for (const s of specs) {
    const n = sizeOf(s.shape);
    if (isWeight(s)) f += 2 * s.usesPerExample * (s.prunable ? activeOf(s) : n);
    else if (opts.includeNonPrunable) f += s.usesPerExample * n;
  }
  return f;
}

/** f_D: dense forward FLOPs per example. */
export function denseForwardFlops(specs: readonly ParamSpec[], opts: FlopsOptions = {}): number {
  return forward(specs, (s) => sizeOf(s.shape), opts);
}

/**
 * f_S: sparse forward FLOPs per example, from masks (exact active counts) or from per-layer
 * densities (d·N, not rounded). A prunable layer missing from the map counts as dense.
 */
export function sparseForwardFlops(
  specs: readonly ParamSpec[],
  sparsity: Masks | Map<string, number>,
  opts: FlopsOptions = {},
): number {
  return forward(
    specs,
    (s) => {
      const v = sparsity.get(s.name);
      if (v === undefined) return sizeOf(s.shape);
      return typeof v === 'number' ? v * sizeOf(s.shape) : countActive(v);
    },
    opts,
  );
}

/** RigL: (3 f_S ΔT + 2 f_S + f_D)/(ΔT + 1): the dense gradient only on the update step. */
export function riglStepFlops(fS: number, fD: number, deltaT: number | undefined): number {
  if (deltaT === undefined || !(deltaT > 0))
    throw new SprigError(`RigL FLOPs need ΔT > 0, got ${deltaT}`, 'pass deltaT');
  return (3 * fS * deltaT + 2 * fS + fD) / (deltaT + 1);
}

/** SNFS: 2 f_S + f_D, a dense gradient every step. */
export const snfsStepFlops = (fS: number, fD: number) => 2 * fS + fD;

/** GMP: E_t[3 f_D (1 − s_t)] over the steps of training, s_t the sparsity in force at step t. */
export function gmpStepFlops(
  fD: number,
  gmp: GmpSchedule | undefined,
  totalSteps: number | undefined,
): number {
  if (!gmp || totalSteps === undefined || !(totalSteps > 0))
    throw new SprigError(
      'GMP FLOPs need the pruning schedule and the total step count',
      'pass gmp and totalSteps',
    );
  let sum = 0;
  for (let t = 0; t < totalSteps; t++) sum += 1 - gmpSparsityAt(gmp, t);
  return (3 * fD * sum) / totalSteps;
}

/**
 * The sparse part of a run, planned the same way for `dst` and `gradflow`: the layers' target
 * densities, the method's schedules in iterations, the masks it starts from and its updater. What a
 * method uses of these is said in its own file (algorithms/method.ts).
 */
import type { MethodDef, Schedules, ScheduleFields } from '../algorithms/index.js';
import type { ParamSpec } from '../models/types.js';
import {
  denseMasks,
  layerDensities,
  randomMasks,
  type DistributionName,
  type LayerDensities,
  type Masks,
  type SparseInitName,
} from '../sparsity/index.js';
import type { SparseUpdater } from '../training/loop.js';
import type { Rng } from '../util/rng.js';

/** The target network's shape: how sparse it is and how that sparsity is spread over the layers. */
export interface SparsityTarget {
  sparsity: number;
  distribution: DistributionName;
  denseFirstLayer: boolean;
  powerScale?: number;
  densities?: Record<string, number>;
}

export function targetDensities(specs: readonly ParamSpec[], target: SparsityTarget): LayerDensities {
  return layerDensities(specs, {
    distribution: target.distribution,
    sparsity: target.sparsity,
    denseFirstLayer: target.denseFirstLayer,
    powerScale: target.powerScale,
    densities: target.densities,
  });
}

/**
 * The method's schedules in iterations, checked against the training length: `iterationOf` turns
 * a point in training (a fraction or a step) into an iteration, by the command's own rule.
 */
export function methodSchedules(
  def: MethodDef,
  fields: ScheduleFields,
  totalSteps: number,
  iterationOf: (what: string, v: number | string) => number,
): Schedules {
  return def.schedule?.({ fields, totalSteps, iterationOf }) ?? {};
}

/** The masks a method starts from: random at the target densities, all ones, or none (dense baselines). */
export function startMasks(
  def: MethodDef,
  specs: readonly ParamSpec[],
  densities: LayerDensities,
  maskRng: Rng,
): Masks | undefined {
  if (def.start === 'random') return randomMasks(specs, densities, maskRng);
  if (def.start === 'dense') return denseMasks(specs);
  return undefined;
}

export interface UpdaterInput {
  specs: readonly ParamSpec[];
  masks: Masks;
  densities: LayerDensities;
  schedules: Schedules;
  /** ΔT of a method without a drop schedule (its updater reads none). */
  deltaT: number;
  totalSteps: number;
  init?: SparseInitName;
  initScale?: number;
  /** The method's own settings, among other fields (the `dst` group): it picks out its params. */
  params?: Record<string, unknown>;
}

/** The method's updater over the masks it starts from. */
export function sparseUpdater(def: MethodDef, x: UpdaterInput): SparseUpdater | undefined {
  return def.create(
    {
      specs: x.specs,
      masks: x.masks,
      densities: x.densities,
      schedule: x.schedules.drop ?? { dropFraction: 0, deltaT: x.deltaT, tEnd: x.totalSteps },
      gmp: x.schedules.gmp,
      init: x.init,
      initScale: x.initScale,
    },
    x.params,
  );
}

/**
 * Hyperparameters of `sprig lottery`. Two groups:
 *   - `pruning` (with dataset/model/training) is the experiment's identity, hashed to
 *     runs/lottery_<hash>/: how each level prunes and where it rewinds to;
 *   - the plan (levels, replicates, branches, one-shot list, branch knobs) says how much of the
 *     experiment to run. It is not hashed: asking for more levels or replicates later reuses the
 *     finished ones, and each branch hashes its own knobs into its directory name.
 */
import { z } from 'zod';
import { datasetSchema, modelSchema, trainingSchema, hashedRunId, type TrainHparams } from './hparams.js';
import { Step } from '../training/step.js';
import { SprigError } from '../util/errors.js';
import type { PruneOptions } from '../sparsity/prune.js';
import { basisNames } from '../sparsity/bases.js';

const isStep = (s: string) => {
  try {
    Step.parse(s);
    return true;
  } catch {
    return false;
  }
};

const rewindSchema = z.string().refine((s) => s === 'init' || s === 'lr' || isStep(s), {
  message: "must be 'init', 'lr' or a step such as '500it' or '2ep'",
});

export const pruningSchema = z
  .object({
    pruneFraction: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.2)
      .describe('p: fraction of the remaining weights removed per level (LTH: 0.2)'),
    pruneScope: z
      .enum(['layer', 'global'])
      .default('layer')
      .describe(
        "'layer': every layer at its own rate, Frankle & Carbin's recipe (default); 'global': one threshold, OpenLTH's recipe",
      ),
    outputFraction: z
      .number()
      .min(0)
      .lt(1)
      .optional()
      .describe(
        "pruning rate of the output layer; unset: the scope's recipe, p/2 under 'layer' (Frankle & Carbin), 0 under 'global' (OpenLTH)",
      ),
    layerFractions: z
      .record(z.string(), z.number().min(0).lt(1))
      .default({})
      .describe("per-layer rates by parameter name, e.g. 'fc1.weight=0.2,fc.weight=0.1'"),
    exclude: z.array(z.string()).default([]).describe('prunable weights never pruned'),
    rewind: rewindSchema
      .default('init')
      .describe(
        "'init' (θ0, LTH), a step such as '500it' (weight rewinding), or 'lr' (LR rewinding, Renda et al.)",
      ),
  })
  .strict();

export type PruningHparams = z.infer<typeof pruningSchema>;

export const lotteryHparamsSchema = z
  .object({
    dataset: datasetSchema.prefault({}),
    model: modelSchema.prefault({}),
    training: trainingSchema.prefault({}),
    pruning: pruningSchema.prefault({}),
  })
  .strict();

export type LotteryHparams = z.infer<typeof lotteryHparamsSchema>;

export const lotteryPlanSchema = z
  .object({
    levels: z.number().int().min(0).default(2).describe('pruning levels after the dense level 0'),
    replicates: z.number().int().min(1).default(1).describe('replicates (seeds seed, seed+1, …)'),
    branches: z
      .array(z.string())
      .default([])
      .describe(
        `branches at each level: reinit, random_mask, kd, kd_rewind, rewind, retrain, lr_rewind, basis:<${basisNames.join('|')}>`,
      ),
    branchLevels: z
      .array(z.number().int().min(1))
      .optional()
      .describe('levels the branches run at (unset: every level ≥ 1)'),
    oneShot: z
      .array(z.number().gt(0).lt(1))
      .default([])
      .describe(
        "one-shot sparsities (fractions removed from the trained dense net), e.g. '0.2,0.36' or '0.8^1..8' (1−0.8^k)",
      ),
    kdAlpha: z
      .number()
      .min(0)
      .max(1)
      .default(0.9)
      .describe('KD ticket (Ma et al. 2021): weight α of α·T²·KL + (1−α)·CE'),
    kdTemperature: z.number().positive().default(5).describe('KD temperature T'),
    kdRewind: z
      .string()
      .refine(isStep, { message: "must be a step such as '500it'" })
      .optional()
      .describe(
        "rewind step θ_k of the kd_rewind and rewind branches, e.g. '1ep' (unset: the main rewind step when it is one)",
      ),
    retrain: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('training hyperparameters the retrain branch changes, as JSON, e.g. \'{"lr":0.05}\''),
    basisBlock: z.number().int().min(1).default(8).describe('block size of the dct/orthogonal bases'),
    basisSeed: z.number().int().min(0).default(0).describe('seed of the orthogonal basis'),
    basisImage: z
      .boolean()
      .default(false)
      .describe(
        "dct/orthogonal: transform the first layer's inputs (the flattened image) over the image plane, h×w per channel, not in blocks",
      ),
    basisRemainder: z
      .enum(['ragged', 'error'])
      .default('ragged')
      .describe("when the block does not divide a dimension: 'ragged' (a smaller last block) or 'error'"),
    branchesOnly: z
      .boolean()
      .default(false)
      .describe('run only the branches, on levels already trained (nothing of the main chain is trained)'),
  })
  .strict();

export type LotteryPlan = z.infer<typeof lotteryPlanSchema>;

/**
 * The output layer's rate: the given one, else the recipe of the scope — 'layer' → p/2
 * (Frankle & Carbin 2019), 'global' → 0, never pruned (OpenLTH's sparse_global).
 */
export function outputFractionOf(p: PruningHparams): number {
  return p.outputFraction ?? (p.pruneScope === 'global' ? 0 : p.pruneFraction / 2);
}

/** Bumped on any change of a lottery default or behaviour: hashed into the experiment's id and its sub-runs'. */
export const LOTTERY_RECIPE_VERSION = 1;

/**
 * The run id hashes the resolved output rate: an unset outputFraction once meant "the full rate p",
 * so a run from then must not be found under the id of today's recipe.
 */
export function lotteryRunId(hp: LotteryHparams, recipe = LOTTERY_RECIPE_VERSION): string {
  const pruning = { ...hp.pruning, outputFraction: outputFractionOf(hp.pruning) };
  return hashedRunId('lottery', lotteryHparamsSchema, { ...hp, pruning }, recipe);
}

/** The training hyperparameters of replicate r: the same recipe with seed + r. */
export function replicateHparams(hp: LotteryHparams, r: number): TrainHparams {
  return { dataset: hp.dataset, model: hp.model, training: { ...hp.training, seed: hp.training.seed + r } };
}

export type Rewind = { kind: 'init' } | { kind: 'lr' } | { kind: 'step'; step: number; text: string };

/** Resolves the rewind point; a step must lie before the end of training. */
export function parseRewind(
  text: string,
  iterations: (s: string) => number,
  totalSteps: number,
  what = 'rewind step',
): Rewind {
  if (text === 'init') return { kind: 'init' };
  if (text === 'lr') return { kind: 'lr' };
  const step = iterations(text);
  if (step >= totalSteps) {
    throw new SprigError(
      `${what} ${text} (iteration ${step}) is past the end of training (${totalSteps} iterations)`,
      `rewind to an iteration below ${totalSteps}, e.g. '${Math.max(1, Math.floor(totalSteps / 10))}it'`,
    );
  }
  return step === 0 ? { kind: 'init' } : { kind: 'step', step, text };
}

/** The per-level PruneOptions of the pruning group. */
export function pruneOptions(p: PruningHparams): PruneOptions {
  return {
    fraction: p.pruneFraction,
    scope: p.pruneScope,
    outputRate: outputFractionOf(p),
    rates: p.layerFractions,
    exclude: p.exclude,
  };
}

/**
 * One-shot pruning to sparsity s: the pool loses s; a layer with its own rate q loses the fraction
 * IMP would have removed after the same number of levels k = ln(1−s)/ln(1−p), i.e. 1−(1−q)^k.
 */
export function oneShotOptions(p: PruningHparams, sparsity: number): PruneOptions {
  const k = Math.log(1 - sparsity) / Math.log(1 - p.pruneFraction);
  const at = (q: number) => 1 - (1 - q) ** k;
  const rates = Object.fromEntries(Object.entries(p.layerFractions).map(([n, q]) => [n, at(q)]));
  const outputRate = at(outputFractionOf(p));
  return { fraction: sparsity, scope: p.pruneScope, outputRate, rates, exclude: p.exclude };
}

/**
 * `prune`: one-shot magnitude pruning of a finished train or dst run to a target sparsity (one
 * global threshold, or every layer at its own rate), then fine-tuning of the pruned network with
 * its mask fixed (Han et al. 2015: prune, then retrain the survivors at a lower rate).
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { SprigError } from '../../util/errors.js';
import { pct } from '../../util/format.js';
import { cloneMasks, denseMasks, sparsityReport, type Masks } from '../../sparsity/mask.js';
import { magnitudePrune } from '../../sparsity/prune.js';
import type { ParamSpec } from '../../models/types.js';
import type { RunStore } from '../../store/store.js';
import { artifactPath, loadWeights, readJson, type StoredWeights } from '../../store/artifacts.js';
import { hashedRunId, trainHparamsSchema, trainingSchema, validate, type TrainHparams } from '../hparams.js';
import { setup } from '../setup.js';
import { runTraining, type RunResult } from '../run.js';
import type { ExperimentKind, KindContext } from '../kind.js';

export const pruneSchema = z
  .object({
    from: z.string().default('').describe('run id of the finished train or dst run to prune (required)'),
    sparsity: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.9)
      .describe('target sparsity: fraction of prunable weights removed'),
    pruneScope: z
      .enum(['global', 'layer'])
      .default('global')
      .describe("'global': one magnitude threshold over all layers; 'layer': every layer at the target"),
    layerSparsities: z
      .record(z.string(), z.number().min(0).lt(1))
      .default({})
      .describe("a layer's own target sparsity, e.g. 'fc.weight=0.5' (it leaves the global pool)"),
  })
  .strict();

export const pruneHparamsSchema = z
  .object({ prune: pruneSchema.prefault({}), training: trainingSchema.prefault({}) })
  .strict();

export type PruneHparams = z.infer<typeof pruneHparamsSchema>;

export interface PruneResult extends RunResult {
  source: string;
  sourceTestAccuracy: number;
  targetSparsity: number;
  /** Sparsity of the fine-tuned network over prunable weights. */
  sparsity: number;
  densities: Record<string, number>;
}

/** Bumped on any change of a prune default or behaviour: hashed into every prune run id. */
export const PRUNE_RECIPE_VERSION = 1;

function pruneRunId(hp: PruneHparams, recipe = PRUNE_RECIPE_VERSION): string {
  return hashedRunId('prune', pruneHparamsSchema, hp, recipe);
}

export const prune = {
  name: 'prune',
  description:
    'one-shot magnitude pruning of a finished train or dst run (--from RUN) to a target sparsity, then fine-tuning with the mask fixed; stored and cached. Fine-tuning defaults: SGD momentum 0.9 at a constant lr 0.01 for 1 epoch (Han et al. 2015 retrain at a lower rate)',
  groups: { prune: pruneSchema, training: trainingSchema },
  recipe: { training: { lr: 0.01, momentum: 0.9, trainSteps: '1ep' } },
  recipeVersion: PRUNE_RECIPE_VERSION,
  identify(raw, recipe?: number) {
    const hp = validate(pruneHparamsSchema, raw);
    if (!hp.prune.from)
      throw new SprigError('prune needs the run to prune', 'pass --from <run id> (sprig runs lists them)');
    return { hp, runId: pruneRunId(hp, recipe) };
  },
  run: runPrune,
  intro: (hp) => `${hp.prune.from} to ${pct(hp.prune.sparsity, 1)} sparsity (${hp.prune.pruneScope})`,
  summary: (r) =>
    [
      `${r.cached ? 'stored result (already finished; nothing trained)' : 'finished'}: ${r.runId}`,
      `  ${r.source} (test accuracy ${pct(r.sourceTestAccuracy)}) pruned to ${pct(r.sparsity)} sparsity (target ${pct(r.targetSparsity)})`,
      `  fine-tuned: test accuracy ${pct(r.testAccuracy)} after ${r.steps} iterations in ${r.wallSeconds.toFixed(1)} s`,
      `  run directory ${r.runDir}`,
    ].join('\n'),
  label: (hp) => `prune ${hp.prune.sparsity}`,
} satisfies ExperimentKind<PruneHparams, PruneResult>;

function runPrune(hp: PruneHparams, ctx: KindContext): PruneResult {
  const { store } = ctx;
  const source = finishedRun(store, hp.prune.from);
  const s = setup({ ...source.hp, training: hp.training }, ctx.dataset);
  checkWeights(s.model.specs, source.stored, hp.prune.from);
  const masks = pruneOnce(s.model.specs, source.stored, hp.prune);
  const init = new Map([...source.stored.weights].map(([n, w]) => [n, w.slice()]));
  for (const [n, m] of masks) init.get(n)!.forEach((_, i, w) => (w[i]! *= m[i]!));
  const { trained: _t, ...r } = runTraining({
    store,
    runId: pruneRunId(hp),
    kind: 'prune',
    recipe: PRUNE_RECIPE_VERSION,
    hparams: hp,
    options: s.options({ init, initBnStats: source.stored.bnStats, sparse: { masks } }),
    callbacks: ctx.callbacks,
    metricsEvery: ctx.metricsEvery,
    label: `prune ${hp.prune.sparsity}`,
    extraResult: (t) => ({
      source: hp.prune.from,
      sourceTestAccuracy: source.testAccuracy,
      targetSparsity: hp.prune.sparsity,
      ...sparsityOf(s.model.specs, t.masks ?? masks),
    }),
  });
  return r as PruneResult;
}

/** A finished train or dst run: its training groups, final weights (and masks) and accuracy. */
function finishedRun(store: RunStore, runId: string) {
  const dir = store.dir(runId);
  const rec = store.record(dir);
  const result = store.readResult<RunResult>(dir);
  if (!result || !existsSync(artifactPath(dir, 'weights')) || !['train', 'dst'].includes(rec?.kind ?? ''))
    throw new SprigError(
      `${runId} is not a finished train or dst run in ${store.root}`,
      'pass the id of a finished `sprig train` or `sprig dst` run (sprig runs lists them)',
    );
  const groups = readJson<Record<string, unknown>>(artifactPath(dir, 'hparams')) ?? {};
  const hp: TrainHparams = validate(trainHparamsSchema, {
    dataset: groups.dataset,
    model: groups.model,
    training: groups.training,
  });
  return { hp, stored: loadWeights(artifactPath(dir, 'weights')), testAccuracy: result.testAccuracy };
}

/**
 * The mask of one magnitude-pruning step from the source's mask to the target: each rate is the
 * fraction of the *remaining* weights to remove, 1 − (1 − target) / density.
 */
function pruneOnce(specs: readonly ParamSpec[], stored: StoredWeights, p: PruneHparams['prune']): Masks {
  const masks = stored.masks ? cloneMasks(stored.masks) : denseMasks(specs);
  const report = sparsityReport(specs, masks);
  const rateOf = (target: number, density: number, what: string) => {
    const rate = 1 - (1 - target) / density;
    if (rate < 0)
      throw new SprigError(
        `${what}: the source is already ${pct(1 - density)} sparse, above the target ${pct(target)}`,
        'ask for a higher sparsity',
      );
    return rate;
  };
  const density = (n: string) => report.layers.find((l) => l.name === n)?.density ?? 1;
  const rates = Object.fromEntries(
    Object.entries(p.layerSparsities).map(([n, s]) => [n, rateOf(s, density(n), n)]),
  );
  const fraction = rateOf(p.sparsity, report.density, 'sparsity');
  return magnitudePrune(specs, masks, stored.weights, { fraction, scope: p.pruneScope, rates });
}

/** The source's weights fit the model its hyperparameters name (a small_dense run's do not). */
function checkWeights(specs: readonly ParamSpec[], stored: StoredWeights, runId: string): void {
  for (const sp of specs)
    if (stored.weights.get(sp.name)?.length !== sp.shape.reduce((a, b) => a * b, 1))
      throw new SprigError(
        `${runId}'s weights do not fit its model (${sp.name})`,
        'prune a train run, or a dst run of a sparse method (not small_dense)',
      );
}

function sparsityOf(specs: readonly ParamSpec[], masks: Masks) {
  const report = sparsityReport(specs, masks);
  return {
    sparsity: 1 - report.density,
    densities: Object.fromEntries(report.layers.map((l) => [l.name, l.density])),
  };
}

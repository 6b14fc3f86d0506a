/** `train`: one dense network, stored and cached by its hyperparameters. */
import {
  datasetSchema,
  hashedRunId,
  modelSchema,
  trainHparamsSchema,
  trainingSchema,
  validate,
} from '../hparams.js';
import type { TrainHparams } from '../hparams.js';
import { setup, optimizerSummary } from '../setup.js';
import { runTraining, type RunResult } from '../run.js';
import { parameterCount } from '../../models/registry.js';
import { pct } from '../../util/format.js';
import type { ExperimentKind } from '../kind.js';

/** Bumped on any change of a train default or behaviour: hashed into every train run id. */
export const TRAIN_RECIPE_VERSION = 1;

/** The run id of validated hyperparameters: the `sprig train` run, and the flagship's dense row. */
export function trainRunId(hp: TrainHparams, recipe = TRAIN_RECIPE_VERSION): string {
  return hashedRunId('train', trainHparamsSchema, hp, recipe);
}

export const train = {
  name: 'train',
  description:
    "train one dense network and store the run (cached by its hyperparameters); defaults are the schema's own",
  groups: { dataset: datasetSchema, model: modelSchema, training: trainingSchema },
  recipe: {},
  recipeVersion: TRAIN_RECIPE_VERSION,
  identify(raw, recipe?: number) {
    const hp = validate(trainHparamsSchema, raw);
    return { hp, runId: trainRunId(hp, recipe) };
  },
  run(hp, ctx) {
    const { trained: _t, ...r } = runTraining({
      store: ctx.store,
      runId: trainRunId(hp),
      kind: 'train',
      recipe: TRAIN_RECIPE_VERSION,
      hparams: hp,
      options: setup(hp, ctx.dataset).options(),
      callbacks: ctx.callbacks,
      metricsEvery: ctx.metricsEvery,
      label: hp.model.name,
    });
    return r;
  },
  intro(hp, ctx) {
    const s = setup(hp, ctx.dataset);
    ctx.dataset = s.dataset;
    return `${hp.model.name} (${parameterCount(s.model).toLocaleString('en')} parameters) on ${s.dataset.name}, ${optimizerSummary(hp.training)}`;
  },
  summary: (r) =>
    [
      `${r.cached ? 'stored result (already finished; nothing trained)' : 'finished'}: ${r.runId}`,
      `  test accuracy ${pct(r.testAccuracy)}  loss ${r.testLoss.toFixed(4)}  soft error ${r.testSoftError.toFixed(4)}`,
      `  ${r.steps} iterations in ${r.wallSeconds.toFixed(1)} s; run directory ${r.runDir}`,
    ].join('\n'),
  label: (hp) => hp.model.name,
} satisfies ExperimentKind<TrainHparams, RunResult>;

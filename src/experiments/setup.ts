/** From validated hyperparameters to the pieces the training loop takes: data, model, schedule. */
import { loadDataset } from '../data/registry.js';
import { augmentOptionsFor } from '../data/augment.js';
import type { Dataset } from '../data/types.js';
import { createModelFrom } from '../models/registry.js';
import type { Model } from '../models/types.js';
import { Step } from '../training/step.js';
import { streamSource } from '../training/sources.js';
import type { TrainOptions } from '../training/loop.js';
import { crossEntropyLoss } from '../training/losses.js';
import { SprigError } from '../util/errors.js';
import type { DatasetHparams, TrainHparams, TrainingHparams } from './hparams.js';

export interface Setup {
  dataset: Dataset;
  model: Model;
  itersPerEpoch: number;
  totalSteps: number;
  /** Steps → iterations with this run's epoch length. */
  iterations(step: string): number;
  /** TrainOptions without the per-run parts (init, sparsity, checkpoint path); loss: CE with the run's label smoothing unless overridden. */
  options(overrides?: Partial<TrainOptions>): TrainOptions;
}

export function loadData(d: DatasetHparams, seed: number): Dataset {
  return loadDataset({
    name: d.name,
    dataDir: d.dataDir,
    validation: d.validation,
    subset: d.subset,
    augment: d.augment,
    seed,
  });
}

/** `model`: one already built for hp.model (a plan that needs two setups builds it once). */
export function setup(hp: TrainHparams, dataset?: Dataset, model?: Model): Setup {
  const t = hp.training;
  const ds = dataset ?? loadData(hp.dataset, t.seed);
  model ??= createModelFrom(hp.model, ds.inputShape, ds.numClasses);
  if (t.batchSize > ds.train.n) {
    throw new SprigError(
      `batch size ${t.batchSize} is larger than the training set (${ds.train.n} examples)`,
      `use --batch-size of at most ${ds.train.n}`,
    );
  }
  const itersPerEpoch = Math.ceil(ds.train.n / t.batchSize);
  const iterations = (s: string) => Step.parse(s).iterations(itersPerEpoch);
  const totalSteps = iterations(t.trainSteps);
  if (totalSteps < 1)
    throw new SprigError(
      `the training length (trainSteps) '${t.trainSteps}' is zero iterations`,
      "train for at least one iteration (--train-steps, or trainSteps in a config file), e.g. '1ep' or '100it'",
    );
  const milestones = t.milestones.map(iterations);
  return {
    dataset: ds,
    model,
    itersPerEpoch,
    totalSteps,
    iterations,
    options: (overrides = {}) => ({
      model,
      source: streamSource(ds.train, {
        batchSize: t.batchSize,
        seed: t.seed,
        augment: ds.augment ? augmentOptionsFor(ds) : undefined,
      }),
      test: ds.test,
      validation: ds.validation,
      inputShape: ds.inputShape,
      optimizer: t,
      lr: { lr: t.lr, lrSchedule: t.lrSchedule, milestones, gamma: t.gamma, warmup: iterations(t.warmup) },
      totalSteps,
      itersPerEpoch,
      seed: t.seed,
      engine: t.engine,
      ...overrides,
      // The hashed label smoothing is the default loss; `loss: undefined` must not drop it.
      loss: overrides.loss ?? crossEntropyLoss(t.labelSmoothing),
    }),
  };
}

export function optimizerSummary(t: TrainingHparams): string {
  const mom =
    t.optimizer === 'sgd' && t.momentum ? ` momentum ${t.momentum}${t.nesterov ? ' (Nesterov)' : ''}` : '';
  return `${t.optimizer}${mom} lr ${t.lr} (${t.lrSchedule}) batch ${t.batchSize}, ${t.trainSteps}`;
}

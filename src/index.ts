/**
 * sprig as a library: the experiments the CLI runs (each stored and cached in a run store by the
 * hash of its hyperparameters), the model zoo and the TF.js LayersModel reader, export, and the
 * sparsity pieces for a training loop of your own.
 *
 * ```ts
 * import { dst, exportRun, sparsify, exportModel } from 'sprig';
 * const r = dst({ model: { name: 'mnist_lenet_300_100' }, dst: { method: 'rigl', sparsity: 0.9 } });
 * await exportRun(r.runDir, { format: 'sparse', values: 'fp16', out: 'lenet.sprig' });
 * // your own tf.LayersModel and tensors, on the same recipe
 * const s = await sparsify(myModel, { x, y }, { sparsity: 0.9, root: 'runs' });
 * await exportModel(s.model, { format: 'sparse', out: 'mine.sprig' });
 * // or pruned by GMP / IMP (a tf.data.Dataset works in place of { x, y }), a TF.js export quantised
 * const t = await lotteryTicket(myModel, ds, { levels: 5, root: 'runs' }); // = prune(…, { schedule: 'imp' })
 * await exportModel(t.model, { format: 'tfjs', quantize: 'uint8', out: 'ticket' });
 * ```
 *
 * The browser loader for exported files is a separate entry point, `sprig/loader`.
 * @packageDocumentation
 */
import type { z } from 'zod';
import { observing, withStore, type RunOptions } from './api/run-options.js';
import type { trainHparamsSchema } from './experiments/hparams.js';
import type { RunResult } from './experiments/run.js';
import type { LotteryResult } from './experiments/lottery.js';
import type { lotteryHparamsSchema, lotteryPlanSchema } from './experiments/lottery-hparams.js';
import type { dstHparamsSchema, DstResult } from './experiments/dst.js';
import type { bootstrapHparamsSchema, BootstrapResult } from './experiments/bootstrap.js';
import type { gradflowHparamsSchema, GradflowResult } from './experiments/gradflow.js';
import type { pruneHparamsSchema, PruneResult } from './experiments/kinds/prune.js';
import { KINDS, type ExperimentKind } from './experiments/kinds.js';
import { underRecipe, type Groups } from './experiments/kind.js';
import { withModelFileHash } from './models/layers-model.js';
import { SprigError } from './util/errors.js';
import type { Sparsified } from './api/sparsify.js';
import type { Ticket } from './api/lottery-ticket.js';
import type { DataArg, ModelArg } from './api/inputs.js';
import { pruneModel, type GmpPruneOptions, type ImpPruneOptions } from './api/prune-model.js';

// ---- Hyperparameters: the zod schemas (source of truth) and their types. ----
export {
  datasetSchema,
  modelSchema,
  trainingSchema,
  trainHparamsSchema,
  validate,
  type DatasetHparams,
  type ModelHparams,
  type TrainingHparams,
  type TrainHparams,
} from './experiments/hparams.js';
export {
  lotteryHparamsSchema,
  lotteryPlanSchema,
  pruningSchema,
  type LotteryHparams,
  type LotteryPlan,
  type PruningHparams,
} from './experiments/lottery-hparams.js';
export {
  dstSchema,
  dstHparamsSchema,
  type DstHparams,
  type DstResult,
  type DstFlops,
} from './experiments/dst.js';
export {
  bootstrapSchema,
  bootstrapHparamsSchema,
  type BootstrapHparams,
  type BootstrapResult,
  type ModelComparison,
  type AtStop,
  type WorldResult,
} from './experiments/bootstrap.js';
export {
  gradflowSchema,
  gradflowHparamsSchema,
  type GradflowHparams,
  type GradflowResult,
  type RunReport,
  type GradNormCurve,
} from './experiments/gradflow.js';
export type { Interpolation } from './experiments/landscape.js';
export {
  pruneSchema,
  pruneHparamsSchema,
  type PruneHparams,
  type PruneResult,
} from './experiments/kinds/prune.js';
// ---- Experiment kinds: the one list (schema groups, recipe and its version, run ids), and a kind's command line. ----
export { KINDS, KIND_NAMES, kindNamed, type KindName, type ExperimentKind } from './experiments/kinds.js';
export { commandFor, commandText } from './experiments/command.js';
export type { LotteryResult, PointSummary, Stat } from './experiments/lottery.js';
export type { RunResult, StoredWeights } from './experiments/run.js';
export { loadWeights, WEIGHTS_FILE } from './experiments/run.js';
export { loggingSchema, type Logging } from './experiments/run-observers.js';

// ---- Your own model and data: sparse training of a tf.LayersModel in memory, on your own tensors. ----
export { sparsify, type SparsifyOptions, type Sparsified } from './api/sparsify.js';
export { lotteryTicket, type LotteryTicketOptions, type Ticket } from './api/lottery-ticket.js';
export { PRUNE_SCHEDULES, type GmpPruneOptions, type ImpPruneOptions } from './api/prune-model.js';
export type { ModelArg, DataArg, InMemoryOptions } from './api/inputs.js';
export type { TensorData } from './data/tensors.js';
export type { TfDataset } from './data/tfdata.js';

// ---- Export: TF.js LayersModel or sprig's compact sparse file; loading an export in Node. ----
export {
  exportRun,
  resolveRun,
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportOptions,
  type ExportResult,
} from './export/run.js';
export { exportModel, type ModelExportOptions, type ModelExportResult } from './export/model.js';
export { TFJS_QUANTIZE, type TfjsQuantize } from './export/formats.js';
export { loadExport } from './export/load.js';
export { inferenceEngineOf, type InferenceEngine } from './export/compiled-predict.js';
export type { Int8Scale } from './export/sparse.js';

// ---- Models: the zoo, the TF.js LayersModel reader, and the model interface. ----
export {
  MODELS,
  MODEL_NAMES,
  createModel,
  createModelFrom,
  parameterCount,
  type ModelName,
} from './models/registry.js';
export {
  readLayersModel,
  readModelFile,
  modelFileSha256,
  SUPPORTED_LAYERS,
  MODEL_INITS,
  type ModelInit,
  type ReadModelOptions,
  type ModelFile,
} from './models/layers-model.js';
export type { Model, ParamSpec, ParamKind, ParamTensors, BatchNormStats } from './models/types.js';

// ---- Sparsity: masks, layer distributions, pruning, schedules, sparse init, FLOPs, bases. ----
export * from './sparsity/index.js';

// ---- Training: the loop and the updater interface a sparse method implements. ----
export {
  train as trainLoop,
  type TrainOptions,
  type TrainResult,
  type SparseUpdater,
  type StepContext,
  type Callbacks,
  type EpochEvent,
  type BatchSource,
  type Buffers,
} from './training/loop.js';
export type { LrHparams } from './training/lr.js';
export { createOptimizer, Sgd, Adam, type Optimizer, type OptimizerHparams } from './training/optimizers.js';
export { crossEntropyLoss, kdLoss, type LossFn } from './training/losses.js';
export { evaluate, predict, type EvalMetrics } from './training/evaluate.js';
export { Step } from './training/step.js';

// ---- Sparse-training methods (RigL, SET, SNFS, SNIP, GMP, static) as updaters for that loop. ----
export * from './algorithms/index.js';

// ---- Data, engine, errors. ----
export {
  loadDataset,
  datasetInfo,
  DATASET_NAMES,
  type DatasetName,
  type DatasetInfo,
  type LoadDatasetOptions,
} from './data/registry.js';
export type { Dataset, Split, Batch, Normalisation } from './data/types.js';
export type { SyntheticOptions } from './data/synthetic.js';
export { tf, engineStatus, type NativeStatus, type SparseLayerReport } from './engine/index.js';
export { Rng, type RngState } from './util/rng.js';
export { SprigError } from './util/errors.js';
export { RunStore } from './store/store.js';
export type { RunOptions } from './api/run-options.js';
export type { RunIndex, RunRow, MetricRow } from './store/index-db.js';
/**
 * Checks a store's runs against their manifests (`sprig verify`), `checkRun` one run directory;
 * pass `identifyStored` to check each hparams.json against its run id too.
 */
export { identifyStored } from './experiments/stored-identity.js';
export { verifyStore, checkRun, type RunCheck, type StoreCheck } from './store/verify.js';

/** Hyperparameters as a user writes them: every field optional, defaults filled in by the schema. */
export type TrainHparamsInput = z.input<typeof trainHparamsSchema>;
export type LotteryHparamsInput = z.input<typeof lotteryHparamsSchema>;
export type LotteryPlanInput = z.input<typeof lotteryPlanSchema>;
export type DstHparamsInput = z.input<typeof dstHparamsSchema>;
export type BootstrapHparamsInput = z.input<typeof bootstrapHparamsSchema>;
export type GradflowHparamsInput = z.input<typeof gradflowHparamsSchema>;
export type PruneHparamsInput = z.input<typeof pruneHparamsSchema>;

/** A copy whose model group carries the content hash of a model.json named in it (the CLI does the same). */
function hashed<H extends { model?: object }>(hparams: H): H {
  const model = hparams.model ? { ...hparams.model } : undefined;
  withModelFileHash(model as { name?: unknown; sha256?: unknown } | undefined);
  return model ? { ...hparams, model } : hparams;
}

/**
 * Validates, identifies and runs one experiment of a kind of the list the way its command does: on
 * the kind's recipe, so the same settings give the same run id as `sprig <kind>`.
 */
function runOf<H, R>(kind: ExperimentKind<H, R>, raw: Groups, o: RunOptions): R {
  const { hp } = kind.identify(underRecipe(kind, raw));
  return withStore(o, (store) => kind.run(hp, { store, ...observing(o) }));
}

/** Trains one dense network (`sprig train`); a finished run with the same hyperparameters is returned from the store. */
export function train(hparams: TrainHparamsInput = {}, o: RunOptions = {}): RunResult {
  return runOf(KINDS.train, hashed(hparams), o);
}

/** Lottery tickets by iterative magnitude pruning, with replicates, one-shot points and branches (`sprig lottery`). */
export function lottery(
  hparams: LotteryHparamsInput = {},
  plan: LotteryPlanInput = {},
  o: RunOptions = {},
): LotteryResult {
  return runOf(KINDS.lottery, { ...hashed(hparams), lottery: plan }, o);
}

/** One dynamic-sparse-training run: RigL, SET, SNFS, static, SNIP, GMP, or a dense baseline (`sprig dst`). */
export function dst(hparams: DstHparamsInput = {}, o: RunOptions = {}): DstResult {
  return runOf(KINDS.dst, hashed(hparams), o);
}

/** Deep Bootstrap: Real World vs Ideal World for the same steps (`sprig bootstrap`). */
export function bootstrap(hparams: BootstrapHparamsInput = {}, o: RunOptions = {}): BootstrapResult {
  return runOf(KINDS.bootstrap, hashed(hparams), o);
}

/** Gradient flow in sparse networks: sparse-aware init, gradient norms, interpolation (`sprig gradflow`). */
export function gradflow(hparams: GradflowHparamsInput = {}, o: RunOptions = {}): GradflowResult {
  return runOf(KINDS.gradflow, hashed(hparams), o);
}

/**
 * Two functions under one name. `prune(hparams, options)`: one-shot magnitude pruning of a finished
 * train or dst run, then fine-tuning (`sprig prune`). `prune(model, data, { schedule })`: your
 * tf.LayersModel (or a zoo name) pruned while it trains on your data, by gradual magnitude pruning
 * (`'gmp'`, as `sprig dst --method gmp`; returns what `sparsify` does) or by iterative magnitude
 * pruning with rewinding (`'imp'`, as `sprig lottery`; returns what `lotteryTicket` does).
 */
export function prune(hparams: PruneHparamsInput, o?: RunOptions): PruneResult;
export function prune(model: ModelArg, data: DataArg, o: GmpPruneOptions): Promise<Sparsified>;
export function prune(model: ModelArg, data: DataArg, o: ImpPruneOptions): Promise<Ticket>;
export function prune(
  first: PruneHparamsInput | ModelArg,
  second?: RunOptions | DataArg,
  third?: GmpPruneOptions | ImpPruneOptions,
): PruneResult | Promise<Sparsified | Ticket> {
  // a model is a zoo name or a LayersModel (it predicts); hyperparameters are a plain object
  if (typeof first === 'string' || typeof (first as Partial<ModelArg & object>).predict === 'function') {
    if (!third)
      throw new SprigError(
        'prune(model, data, options) needs its options',
        "pass { schedule: 'gmp' } or { schedule: 'imp' } as the third argument",
      );
    return pruneModel(first as ModelArg, second as DataArg, third as GmpPruneOptions);
  }
  return runOf(KINDS.prune, first as PruneHparamsInput, (second ?? {}) as RunOptions);
}

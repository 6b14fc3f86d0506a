/**
 * The Deep Bootstrap experiment (Nakkiran, Neyshabur & Sedghi, ICLR 2021; papers.md §5): train the
 * same model, init, optimizer, schedule and batch size for T steps in the Real World (n samples
 * re-used) and in the Ideal World (fresh samples every step), log test soft error, hard error, loss
 * and train error of both at regular steps, and report the bootstrap gap — the difference of test
 * soft errors — at the Real World's stopping time (its train error first below a threshold).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { loadDataset } from '../data/registry.js';
import { makeTeacherDataset } from '../data/synthetic.js';
import type { Dataset, Split } from '../data/types.js';
import { createModelFrom } from '../models/registry.js';
import { withModelFileHash } from '../models/layers-model.js';
import type { RunStore } from '../store/store.js';
import { FILES, readJson, writeJson } from '../store/artifacts.js';
import { evaluate, type EvalMetrics } from '../training/evaluate.js';
import { crossEntropyLoss } from '../training/losses.js';
import type { BatchSource, Callbacks, TrainOptions } from '../training/loop.js';
import { Step } from '../training/step.js';
import { SprigError } from '../util/errors.js';
import {
  datasetSchema,
  hashedRunId,
  modelSchema,
  trainingSchema,
  type DatasetHparams,
  type TrainingHparams,
  stepSchema,
} from './hparams.js';
import { runTraining } from './run.js';
import type { Logging } from './run-observers.js';
import {
  checkIdealPool,
  idealFreshSource,
  idealPoolSource,
  dropLastMark,
  realItersPerEpoch,
  realWorldSource,
  recording,
  splitWorlds,
  subsetSplit,
} from './bootstrap-worlds.js';

const step = stepSchema("must be a step such as '1ep' or '50it'");

/** The bootstrap group. Defaults are fixed once: run identities hash the non-default values. */
export const bootstrapSchema = z
  .object({
    n: z.number().int().positive().default(5000).describe("Real World samples (the paper's nsamps)"),
    models: z
      .array(z.string())
      .default([])
      .describe("models compared in one run (empty: the model group's one model)"),
    logEvery: step
      .default('1ep')
      .describe(
        "measure both worlds every this many steps, e.g. '1ep' (a Real World epoch: floor(n / batch) full batches) or '20it'",
      ),
    threshold: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.01)
      .describe('Real World stopping time: the first logged step whose train (hard) error is below this'),
    source: z
      .enum(['pool', 'teacher'])
      .default('pool')
      .describe(
        "Ideal World data: 'pool' (the dataset's other training samples; a dataset name such as fashion_mnist picks that dataset) or 'teacher' (synthetic, unlimited)",
      ),
    allowRepeats: z
      .boolean()
      .default(false)
      .describe('let the Ideal World re-use its pool when T × batch exceeds it (logged)'),
    teacherSide: z
      .number()
      .int()
      .positive()
      .default(28)
      .describe('teacher source: inputs are side × side × 1 Gaussians'),
    teacherClasses: z.number().int().min(2).default(10).describe('teacher source: classes'),
    teacherHidden: z.number().int().positive().default(32).describe('teacher source: hidden units'),
    teacherTest: z.number().int().positive().default(10000).describe('teacher source: test-set size'),
  })
  .strict();

export const bootstrapHparamsSchema = z
  .object({
    dataset: datasetSchema.prefault({}),
    model: modelSchema.prefault({}),
    training: trainingSchema.prefault({}),
    bootstrap: bootstrapSchema.prefault({}),
  })
  .strict();

export type BootstrapHparams = z.infer<typeof bootstrapHparamsSchema>;
export type World = 'real' | 'ideal';

/** One world's run: the experiment's hyperparameters for one model, without what does not change training. */
const worldSchema = z
  .object({
    dataset: datasetSchema.prefault({}),
    model: modelSchema.prefault({}),
    training: trainingSchema.prefault({}),
    bootstrap: bootstrapSchema
      .omit({ models: true, threshold: true })
      .extend({ world: z.enum(['real', 'ideal']).default('real'), dropLast: z.literal(true).optional() })
      .prefault({}),
  })
  .strict();

/** What is measured at a logged step (before that step's update). */
export interface CurvePoint {
  step: number;
  /** Samples trained on so far (step × batch). */
  samplesSeen: number;
  testSoftError: number;
  /** Hard error = 1 − accuracy. */
  testError: number;
  testLoss: number;
  /**
   * Error on the samples seen: Real World, its n samples; Ideal World, the most recent min(n, seen)
   * samples it trained on (null at step 0, and right after a resume until a batch is seen).
   */
  trainError: number | null;
  trainSoftError: number | null;
  trainLoss: number | null;
}

export interface WorldResult {
  runId: string;
  runDir: string;
  cached: boolean;
  wallSeconds: number;
  curve: CurvePoint[];
}

export interface AtStop {
  step: number;
  real: CurvePoint;
  ideal: CurvePoint;
}

export interface ModelComparison {
  model: string;
  real: WorldResult;
  ideal: WorldResult;
  /** First logged step with Real World train error < threshold; null when it never got there. */
  stoppingStep: number | null;
  /** Measurements at the stopping time (the last logged step when it was not reached). */
  atStop: AtStop;
  /** Bootstrap gap at the stopping time: Real minus Ideal test soft error. */
  gap: number;
  /** The same for hard errors. */
  hardGap: number;
  /** Gap (soft) at each logged step, aligned with `steps`. */
  curves: { steps: number[]; gap: number[] };
}

export interface BootstrapResult {
  runId: string;
  runDir: string;
  n: number;
  totalSteps: number;
  batchSize: number;
  threshold: number;
  source: 'pool' | 'teacher';
  /** Ideal World pool size (pool source) or null (teacher: unlimited). */
  poolSize: number | null;
  idealRepeats: boolean;
  models: ModelComparison[];
}

export interface BootstrapOptions extends Logging {
  store: RunStore;
  /** Progress per world run (e.g. the CLI's progress bars). */
  callbacks?: (label: string) => Callbacks;
  /** Notes for the user (repeats, stopping time not reached); default: none. */
  log?: (line: string) => void;
}

export const CURVE_FILE = FILES.curve;
export const BOOTSTRAP_FILE = FILES.bootstrap;

/** One compared model's group: a zoo name, or a TF.js model.json with its content hash. */
function modelGroup(hp: BootstrapHparams, name: string): BootstrapHparams['model'] {
  const own = name === hp.model.name ? hp.model : { init: hp.model.init, name };
  return withModelFileHash({ ...own })!;
}

/** The two worlds' data for a run's hyperparameters. */
export interface WorldsData {
  inputShape: [number, number, number];
  numClasses: number;
  test: Split;
  real: Split;
  /** A fresh Ideal World source (seeded) and, for the pool source, the pool size. */
  ideal(batchSize: number, seed: number, onRepeat: (pass: number) => void): BatchSource;
  poolSize: number | null;
}

export function worldsData(b: BootstrapHparams['bootstrap'], d: DatasetHparams, seed: number): WorldsData {
  if (b.source === 'teacher') {
    const side = b.teacherSide;
    const ds: Dataset = makeTeacherDataset({
      inputShape: [side, side, 1],
      numClasses: b.teacherClasses,
      hidden: b.teacherHidden,
      nTrain: b.n,
      nTest: b.teacherTest,
      seed,
    });
    // The Ideal World's generator stream is seeded apart from the Real World's and the test set's.
    return {
      inputShape: ds.inputShape,
      numClasses: ds.numClasses,
      test: ds.test,
      real: ds.train,
      poolSize: null,
      ideal: (bs, s) => idealFreshSource(ds.freshSamples!, bs, s + 0x5eed),
    };
  }
  const ds = loadDataset({
    name: d.name,
    dataDir: d.dataDir,
    validation: d.validation,
    subset: d.subset,
    augment: false,
    seed,
  });
  const { real, pool } = splitWorlds(ds.train.n, b.n, seed);
  return {
    inputShape: ds.inputShape,
    numClasses: ds.numClasses,
    test: ds.test,
    real: subsetSplit(ds.train, real),
    poolSize: pool.length,
    ideal: (bs, s, onRepeat) => idealPoolSource(ds.train, pool, bs, s + 0x5eed, onRepeat),
  };
}

/** Iterations of the run and of the log interval; an epoch is a Real World epoch, ⌊n / batch⌋ full batches. */
export function schedule(
  b: { n: number; logEvery: string },
  t: TrainingHparams,
): { itersPerEpoch: number; totalSteps: number; logSteps: number[] } {
  const itersPerEpoch = realItersPerEpoch(b.n, t.batchSize);
  const totalSteps = Step.parse(t.trainSteps).iterations(itersPerEpoch);
  if (totalSteps < 1)
    throw new SprigError(
      `the training length (trainSteps) '${t.trainSteps}' is zero iterations`,
      "train for at least one iteration (--train-steps, or trainSteps in a config file), e.g. '10ep' or '400it'",
    );
  const every = Step.parse(b.logEvery).iterations(itersPerEpoch);
  if (every < 1)
    throw new SprigError(
      `--log-every ${b.logEvery} is zero iterations`,
      "log at least every iteration, e.g. '1ep' or '20it'",
    );
  const logSteps: number[] = [];
  for (let s = 0; s < totalSteps; s += every) logSteps.push(s);
  logSteps.push(totalSteps);
  return { itersPerEpoch, totalSteps, logSteps };
}

/** Bootstrap gap at each step both worlds logged: Real minus Ideal test soft error. */
export function bootstrapGap(real: CurvePoint[], ideal: CurvePoint[]): { steps: number[]; gap: number[] } {
  const byStep = new Map(ideal.map((p) => [p.step, p]));
  const steps: number[] = [];
  const gap: number[] = [];
  for (const p of real) {
    const q = byStep.get(p.step);
    if (!q) continue;
    steps.push(p.step);
    gap.push(p.testSoftError - q.testSoftError);
  }
  return { steps, gap };
}

/** The first logged step whose train error is below the threshold, or null. */
export function stoppingStep(curve: CurvePoint[], threshold: number): number | null {
  for (const p of curve) if (p.trainError !== null && p.trainError < threshold) return p.step;
  return null;
}

function curvePoint(
  step: number,
  batchSize: number,
  test: EvalMetrics,
  train: EvalMetrics | null,
): CurvePoint {
  return {
    step,
    samplesSeen: step * batchSize,
    testSoftError: test.softError,
    testError: 1 - test.accuracy,
    testLoss: test.loss,
    trainError: train ? 1 - train.accuracy : null,
    trainSoftError: train ? train.softError : null,
    trainLoss: train ? train.loss : null,
  };
}

function readCurve(dir: string): CurvePoint[] {
  return readJson<CurvePoint[]>(join(dir, CURVE_FILE)) ?? [];
}

/** The compared models: the bootstrap group's list, or the model group's one model. */
export function bootstrapModels(hp: BootstrapHparams): string[] {
  return hp.bootstrap.models.length ? hp.bootstrap.models : [hp.model.name];
}

/** Bumped on any change of a bootstrap default or behaviour: hashed into the experiment's id and its worlds'. */
export const BOOTSTRAP_RECIPE_VERSION = 1;

/** The experiment's run id: its hyperparameters with the model list resolved and the partial-batch mark. */
export function bootstrapRunId(hp: BootstrapHparams, recipe = BOOTSTRAP_RECIPE_VERSION): string {
  const { bootstrap, training } = hp;
  return hashedRunId(
    'bootstrap',
    bootstrapHparamsSchema,
    {
      ...hp,
      bootstrap: {
        ...bootstrap,
        models: bootstrapModels(hp),
        ...dropLastMark(bootstrap.n, training.batchSize),
      },
    },
    recipe,
  );
}

/** Validates everything that can fail before any training starts. */
export function planBootstrap(hp: BootstrapHparams) {
  const b = hp.bootstrap;
  const t = hp.training;
  const models = bootstrapModels(hp);
  if (new Set(models).size !== models.length)
    throw new SprigError(`--models lists a model twice (${models.join(', ')})`, 'list each model once');
  if (t.batchSize > b.n)
    throw new SprigError(
      `batch size ${t.batchSize} is larger than the Real World's n = ${b.n}`,
      `use --batch-size of at most ${b.n}`,
    );
  const data = worldsData(b, hp.dataset, t.seed);
  for (const m of models) createModelFrom(modelGroup(hp, m), data.inputShape, data.numClasses); // unknown names fail here
  const sched = schedule(b, t);
  const pool =
    data.poolSize === null
      ? { repeats: false }
      : checkIdealPool(data.poolSize, sched.totalSteps, t.batchSize, b.allowRepeats);
  return { models, data, ...sched, repeats: pool.repeats };
}

export type BootstrapPlan = ReturnType<typeof planBootstrap>;

export function runBootstrap(hp: BootstrapHparams, opts: BootstrapOptions): BootstrapResult {
  const { store } = opts;
  const log = opts.log ?? (() => {});
  const { bootstrap, training } = hp;
  const plan = planBootstrap(hp);
  if (plan.repeats)
    log(
      `note: the Ideal World's pool (${plan.data.poolSize} samples) is smaller than T × batch = ${plan.totalSteps * training.batchSize}: samples are re-used (--allow-repeats)`,
    );
  const runId = bootstrapRunId(hp);
  const dir = store.dir(runId);
  store.open(dir, hp, { runId, kind: 'bootstrap', recipe: BOOTSTRAP_RECIPE_VERSION, report: 'bootstrap' });
  const models: ModelComparison[] = [];
  for (const model of plan.models) {
    const world = (w: World) => runWorld({ hp, plan, opts, parent: runId, log }, model, w);
    models.push(compareWorlds(model, world('real'), world('ideal'), bootstrap.threshold, log));
  }
  const result: BootstrapResult = {
    runId,
    runDir: dir,
    n: bootstrap.n,
    totalSteps: plan.totalSteps,
    batchSize: training.batchSize,
    threshold: bootstrap.threshold,
    source: bootstrap.source,
    poolSize: plan.data.poolSize,
    idealRepeats: plan.repeats,
    models,
  };
  writeJson(join(dir, BOOTSTRAP_FILE), result);
  store.release(dir);
  return result;
}

/** What every world run of one experiment shares. */
interface WorldContext {
  hp: BootstrapHparams;
  plan: BootstrapPlan;
  opts: BootstrapOptions;
  /** The experiment's run id. */
  parent: string;
  log: (line: string) => void;
}

/**
 * One world's hyperparameters: the experiment's for one model, without what does not change its
 * training (the other models, the threshold; repeats matter to the Ideal World only).
 */
function worldHparams(hp: BootstrapHparams, model: string, world: World) {
  const { bootstrap, training } = hp;
  return {
    dataset: hp.dataset,
    model: modelGroup(hp, model),
    training,
    bootstrap: {
      n: bootstrap.n,
      logEvery: bootstrap.logEvery,
      source: bootstrap.source,
      allowRepeats: world === 'ideal' && bootstrap.allowRepeats,
      teacherSide: bootstrap.teacherSide,
      teacherClasses: bootstrap.teacherClasses,
      teacherHidden: bootstrap.teacherHidden,
      teacherTest: bootstrap.teacherTest,
      world,
      ...dropLastMark(bootstrap.n, training.batchSize),
    },
  };
}

/** A world's training batches and the samples it has seen so far (its train error is measured on them). */
function worldSource(
  ctx: WorldContext,
  model: string,
  world: World,
): { source: BatchSource; seen: () => Split | null } {
  const { data } = ctx.plan;
  const t = ctx.hp.training;
  if (world === 'real')
    return { source: realWorldSource(data.real, t.batchSize, t.seed), seen: () => data.real };
  const onRepeat = (pass: number) =>
    ctx.log(`${model} ideal: pool exhausted, pass ${pass + 1} re-uses its samples (--allow-repeats)`);
  const recorder = recording(data.ideal(t.batchSize, t.seed, onRepeat), ctx.hp.bootstrap.n);
  const seen = () => {
    const recent = recorder.recent();
    return recent.n ? recent : null;
  };
  return { source: recorder, seen };
}

/** Trains (or reads back) one world of one model, logging its curve at the plan's log steps. */
function runWorld(ctx: WorldContext, model: string, world: World): WorldResult {
  const { store } = ctx.opts;
  const { data, totalSteps, itersPerEpoch } = ctx.plan;
  const t = ctx.hp.training;
  const whp = worldHparams(ctx.hp, model, world);
  const worldId = hashedRunId(
    `bootstrap_${world}`,
    worldSchema,
    worldSchema.parse(whp),
    BOOTSTRAP_RECIPE_VERSION,
  );
  const worldDir = store.dir(worldId); // at the root: a world run is shared by every comparison that needs it
  const m = createModelFrom(whp.model, data.inputShape, data.numClasses);
  const { source, seen } = worldSource(ctx, model, world);
  let curve: CurvePoint[] = readCurve(worldDir); // points logged before a kill; re-logged steps replace them
  const options: TrainOptions = {
    model: m,
    source,
    test: data.test,
    inputShape: data.inputShape,
    optimizer: t,
    lr: {
      lr: t.lr,
      lrSchedule: t.lrSchedule,
      milestones: t.milestones.map((s) => Step.parse(s).iterations(itersPerEpoch)),
      gamma: t.gamma,
      warmup: Step.parse(t.warmup).iterations(itersPerEpoch),
    },
    loss: crossEntropyLoss(t.labelSmoothing),
    totalSteps,
    itersPerEpoch,
    seed: t.seed, // same seed ⇒ same init in both worlds
    engine: t.engine,
    logSteps: new Set(ctx.plan.logSteps),
    callbacks: {
      onLog(step, _w, params) {
        const train = seen();
        const test = evaluate(m, params, data.test);
        const p = curvePoint(step, t.batchSize, test, train ? evaluate(m, params, train) : null);
        curve = [...curve.filter((q) => q.step !== step), p].sort((a, c) => a.step - c.step);
        writeJson(join(worldDir, CURVE_FILE), curve);
      },
    },
  };
  const r = runTraining({
    store,
    runId: worldId,
    dir: worldDir,
    kind: `bootstrap_${world}`,
    recipe: BOOTSTRAP_RECIPE_VERSION,
    parent: ctx.parent,
    hparams: whp,
    options,
    callbacks: ctx.opts.callbacks,
    metricsEvery: ctx.opts.metricsEvery,
    label: `${model} ${world}`,
  });
  curve = readCurve(worldDir);
  return { runId: worldId, runDir: worldDir, cached: r.cached, wallSeconds: r.wallSeconds, curve };
}

/** Both worlds of one model at the Real World's stopping time (the last logged step when never reached). */
function compareWorlds(
  model: string,
  real: WorldResult,
  ideal: WorldResult,
  threshold: number,
  log: (line: string) => void,
): ModelComparison {
  const curves = bootstrapGap(real.curve, ideal.curve);
  const stop = stoppingStep(real.curve, threshold);
  if (stop === null)
    log(
      `${model}: the Real World's train error never fell below ${threshold} (final ${real.curve.at(-1)?.trainError?.toFixed(4)}); reporting the last logged step`,
    );
  const at = stop ?? curves.steps.at(-1)!;
  const realAt = real.curve.find((p) => p.step === at)!;
  const idealAt = ideal.curve.find((p) => p.step === at)!;
  return {
    model,
    real,
    ideal,
    stoppingStep: stop,
    atStop: { step: at, real: realAt, ideal: idealAt },
    gap: realAt.testSoftError - idealAt.testSoftError,
    hardGap: realAt.testError - idealAt.testError,
    curves,
  };
}

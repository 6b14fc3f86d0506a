/**
 * Gradient flow in sparse networks (Evci, Ioannou, Keskin & Dauphin, AAAI 2022; papers.md §6): on
 * one model and sparsity, train
 *   pruned       gradual magnitude pruning of the dense network from θ0 (the pruning solution);
 *   lottery      the pruning solution's mask with its weights from θ0;
 *   scratch      the pruning solution's mask with a fresh dense init (masked He), as rigl_tf2's
 *                scratch config: the lottery ticket's control, differing from it only in the init;
 *   scratch+     the same mask with the sparse-aware unit_scaled init (per-unit masked fan-in);
 *   random_mask  a random mask with a fresh dense init (the paper's sparse-training baseline);
 *   rigl         RigL from the random_mask start;  rigl+  RigL from the random mask, sparse init;
 * log the masked gradient norm on a fixed held-out batch during training, and compare the
 * solutions' places in the loss landscape (distances, interpolation, disagreement, ensembles).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { loadDataset } from '../data/registry.js';
import type { Dataset } from '../data/types.js';
import type { RunStore } from '../store/store.js';
import { methodDef, type ScheduleFields, type Schedules } from '../algorithms/index.js';
import {
  cloneMasks,
  denseMasks,
  sparseInit,
  INIT_SCALE,
  isGmpPruneStep,
  isUpdateStep,
  maskSha256,
  sparsityReport,
  type LayerDensities,
  type Masks,
} from '../sparsity/index.js';
import { FILES, readJson, writeJson } from '../store/artifacts.js';
import type { Callbacks } from '../training/loop.js';
import { Step } from '../training/step.js';
import { Rng } from '../util/rng.js';
import { cloneArrays } from '../util/arrays.js';
import { SprigError, unknownName } from '../util/errors.js';
import { datasetSchema, hashedRunId, modelSchema, trainingSchema, stepSchema } from './hparams.js';
import { setup, type Setup } from './setup.js';
import { methodSchedules, sparseUpdater, startMasks, targetDensities } from './sparse-run.js';
import type { Logging } from './run-observers.js';
import { loadWeights, runTraining, WEIGHTS_FILE } from './run.js';
import {
  argmaxRows,
  disagreement,
  ensembleAccuracy,
  evaluateSolution,
  gradientNorm,
  interpolation,
  headOf,
  l2Distance,
  logitsOf,
  type Interpolation,
  type Solution,
} from './landscape.js';

export const GRADFLOW_RUNS = [
  'scratch',
  'scratch+',
  'random_mask',
  'rigl',
  'rigl+',
  'lottery',
  'pruned',
] as const;
export type GradflowRun = (typeof GRADFLOW_RUNS)[number];

const step = stepSchema("must be a step such as '1ep' or '100it'");

/** The gradflow group. Defaults follow rigl_tf2's LeNet-5 config where it has one; fixed once. */
export const gradflowSchema = z
  .object({
    sparsity: z.number().min(0).lt(1).default(0.95).describe('fraction of prunable weights removed'),
    distribution: z
      .enum(['uniform', 'er', 'erk'])
      .default('uniform')
      .describe('layer sparsities (uniform over every layer, first included, as in the gradient-flow paper)'),
    denseFirstLayer: z.boolean().default(false).describe('uniform only: keep the first layer dense'),
    runs: z
      .array(z.enum(GRADFLOW_RUNS))
      .min(1)
      .default([...GRADFLOW_RUNS])
      .describe(`runs to compare (${GRADFLOW_RUNS.join(', ')}); the pruning solution is always trained`),
    logEvery: step.default('100it').describe("gradient-norm interval, e.g. '100it' or '1ep'"),
    gradBatch: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe('training examples held out for the gradient norm (rigl_tf2: 1,000)'),
    initScale: z
      .number()
      .positive()
      .default(INIT_SCALE)
      .describe(
        "sparse-aware init: var = initScale / masked fan-in (2 = INIT_SCALE, the dense He init's scale and the paper's blog formula)",
      ),
    gmpBegin: z
      .number()
      .min(0)
      .lt(1)
      .default(0.25)
      .describe('GMP (pruning solution): first pruning step, a fraction of training'),
    gmpEnd: z.number().gt(0).max(1).default(0.6).describe('GMP: last pruning step, a fraction of training'),
    gmpFrequency: z.number().int().positive().default(100).describe('GMP: steps between pruning steps'),
    deltaT: z.number().int().positive().default(100).describe('RigL: ΔT, steps between mask updates'),
    dropFraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.3)
      .describe('RigL: α, drop fraction at the first update (cosine decay)'),
    tEnd: z
      .number()
      .gt(0)
      .max(1)
      .default(0.75)
      .describe('RigL: T_end, last mask update, a fraction of training'),
    interpolationPoints: z
      .number()
      .int()
      .min(2)
      .default(30)
      .describe(
        'points on each linear interpolation (Frankle et al. 2020: 30); not part of any training run',
      ),
  })
  .strict();

export const gradflowHparamsSchema = z
  .object({
    dataset: datasetSchema.prefault({}),
    model: modelSchema.prefault({}),
    training: trainingSchema.prefault({}),
    gradflow: gradflowSchema.prefault({}),
  })
  .strict();

export type GradflowHparams = z.infer<typeof gradflowHparamsSchema>;

/** One run's identity: the training hyperparameters and only the gradflow fields that shape it. */
const runSchema = z
  .object({
    dataset: datasetSchema.prefault({}),
    model: modelSchema.prefault({}),
    training: trainingSchema.prefault({}),
    gradflow: gradflowSchema
      .omit({ runs: true, interpolationPoints: true })
      .partial()
      .extend({ run: z.enum(GRADFLOW_RUNS).default('scratch') })
      .prefault({}),
  })
  .strict();

export interface GradNormCurve {
  steps: number[];
  total: number[];
  layers: Record<string, number[]>;
}

export interface RunReport {
  run: GradflowRun;
  runId: string;
  runDir: string;
  cached: boolean;
  testAccuracy: number;
  testLoss: number;
  /** Final sparsity of the prunable weights. */
  sparsity: number;
  /** SHA-256 of the mask the run started from (the pruning solution: its final mask); equal hashes, a shared mask. */
  maskSha256: string;
  gradNorm: GradNormCurve;
  gradNormAtInit: number;
  /** ‖θ_T − θ_pruned‖₂ and ‖θ_T − θ_init‖₂ over all trainable parameters. */
  distanceToPruned: number;
  distanceToInit: number;
  /** ‖θ_init − θ_pruned‖₂: where the run started relative to the pruning solution. */
  initDistanceToPruned: number;
  disagreementWithPruned: number;
  /** Linear path from this solution (α = 0) to the pruning solution (α = 1), on the test set. */
  interpolationToPruned: Interpolation;
  /** Accuracy of the two-member ensemble {this, pruned}. */
  ensembleWithPrunedAccuracy: number;
}

export interface GradflowResult {
  runId: string;
  runDir: string;
  model: string;
  sparsity: number;
  gradBatch: number;
  totalSteps: number;
  runs: RunReport[];
  /** Pairwise test-set disagreement of all trained solutions (names include 'pruned'). */
  disagreement: { names: string[]; matrix: number[][] };
  /** Accuracy of the ensemble of all the reported runs' solutions (averaged softmax). */
  ensembleAccuracy: number;
  /** The steps where GMP pruned the pruning solution, and where RigL updated its masks (when it ran). */
  updateSteps: UpdateSteps;
}

export interface UpdateSteps {
  gmp: number[];
  rigl?: number[];
}

export interface GradflowOptions extends Logging {
  store: RunStore;
  callbacks?: (label: string) => Callbacks;
  log?: (line: string) => void;
}

export const GRADNORM_FILE = FILES.gradnorm;
export const GRADFLOW_FILE = FILES.gradflow;

/** The pieces every run shares, built and checked before any training. */
export function planGradflow(hp: GradflowHparams) {
  const g = hp.gradflow;
  const ds: Dataset = loadDataset({
    name: hp.dataset.name,
    dataDir: hp.dataset.dataDir,
    subset: hp.dataset.subset,
    augment: hp.dataset.augment,
    validation: g.gradBatch,
    seed: hp.training.seed,
  });
  if (hp.dataset.validation)
    throw new SprigError(
      'gradflow holds out its own gradient batch (--grad-batch) and takes no --validation',
      'leave --validation out',
    );
  const s = setup(hp, ds);
  const densities = targetDensities(s.model.specs, g);
  // The pruning solution is trained whatever the runs: it is every run's reference.
  const { gmp, drop } = gradflowSchedules(g, s.totalSteps);
  return {
    ds,
    setup: s,
    densities,
    gmp,
    drop,
    logSteps: gradNormSteps(g.logEvery, s),
    ...gradflowStarts(hp, s, densities),
    gradBatch: ds.validation!,
  };
}

/**
 * The pruning solution's GMP and RigL's drop schedule (cosine decay), by the methods' own rules
 * (algorithms/); every point is a fraction of training, T_end at least one step.
 */
function gradflowSchedules(g: GradflowHparams['gradflow'], totalSteps: number): Required<Schedules> {
  const fields: ScheduleFields = {
    sparsity: g.sparsity,
    deltaT: g.deltaT,
    dropFraction: g.dropFraction,
    dropDecay: 'cosine',
    decayPower: 1,
    tEnd: g.tEnd,
    gmpBegin: g.gmpBegin,
    gmpEnd: g.gmpEnd,
    gmpFrequency: g.gmpFrequency,
    gmpInitialSparsity: 0,
  };
  const atFraction = (v: number | string) => Math.round(Number(v) * totalSteps);
  const [begin, end] = [atFraction(g.gmpBegin), atFraction(g.gmpEnd)];
  if (end <= begin)
    throw new SprigError(
      `GMP ends (step ${end}) no later than it begins (step ${begin}) in ${totalSteps} steps`,
      'train longer, or widen --gmp-begin/--gmp-end',
    );
  const { gmp } = methodSchedules(methodDef('gmp'), fields, totalSteps, (_, v) => atFraction(v));
  const atLeastOne = (_: string, v: number | string) => Math.max(1, atFraction(v));
  const { drop } = methodSchedules(methodDef('rigl'), fields, totalSteps, atLeastOne);
  return { gmp: gmp!, drop: drop! };
}

/** The steps at which the gradient norm is logged: every `logEvery`, and the last. */
function gradNormSteps(logEvery: string, s: Setup): Set<number> {
  const every = Step.parse(logEvery).iterations(s.itersPerEpoch);
  if (every < 1) throw new SprigError(`--log-every ${logEvery} is zero iterations`, "use e.g. '100it'");
  const logSteps = new Set<number>();
  for (let t = 0; t < s.totalSteps; t += every) logSteps.add(t);
  logSteps.add(s.totalSteps);
  return logSteps;
}

/** θ0 (dense; pruned and lottery) and the random mask of random_mask and RigL. */
function gradflowStarts(hp: GradflowHparams, s: Setup, densities: LayerDensities) {
  const { seed } = hp.training;
  const theta0 = s.model.init(new Rng(seed));
  const randomMask = startMasks(methodDef('static'), s.model.specs, densities, new Rng(seed + 1))!;
  return { theta0, randomMask };
}

/** A fresh start on `masks`: the seed's second init, masked (dense) or re-drawn per unit's masked fan-in (sparse). */
function freshInit(hp: GradflowHparams, s: Setup, masks: Masks, init: 'dense' | 'sparse') {
  const { seed } = hp.training;
  const fresh = s.model.init(new Rng(seed + 2));
  if (init === 'dense') return sparseInit(s.model.specs, fresh, masks, 'dense', new Rng(0));
  return sparseInit(s.model.specs, fresh, masks, 'unit_scaled', new Rng(seed + 3), {
    scale: hp.gradflow.initScale,
  });
}

function runFields(hp: GradflowHparams, run: GradflowRun) {
  const g = hp.gradflow;
  const common = {
    sparsity: g.sparsity,
    distribution: g.distribution,
    denseFirstLayer: g.denseFirstLayer,
    logEvery: g.logEvery,
    gradBatch: g.gradBatch,
    run,
  };
  const gmp = { gmpBegin: g.gmpBegin, gmpEnd: g.gmpEnd, gmpFrequency: g.gmpFrequency };
  const rigl = { deltaT: g.deltaT, dropFraction: g.dropFraction, tEnd: g.tEnd };
  switch (run) {
    case 'scratch':
    case 'random_mask':
      return common;
    case 'scratch+':
      return { ...common, initScale: g.initScale };
    case 'rigl':
      return { ...common, ...rigl };
    case 'rigl+':
      return { ...common, ...rigl, initScale: g.initScale };
    case 'pruned':
    case 'lottery':
      return { ...common, ...gmp };
  }
}

export type GradflowPlan = ReturnType<typeof planGradflow>;

/** A trained child run: what its report says of it, and its solutions at the start and the end. */
interface Trained extends Pick<
  RunReport,
  'run' | 'runId' | 'runDir' | 'cached' | 'testAccuracy' | 'testLoss'
> {
  init: Solution;
  final: Solution & { masks: Masks };
  gradNorm: GradNormCurve;
  /** Fingerprint of the mask the run started from. */
  maskSha256: string;
}

/** The gradient norm logged at one step: total and per layer. */
interface GradNormPoint {
  step: number;
  total: number;
  layers: Record<string, number>;
}

/** What every child run of one experiment shares. */
interface GradflowContext {
  hp: GradflowHparams;
  plan: GradflowPlan;
  opts: GradflowOptions;
  /** The experiment's run id, the parent of its child runs. */
  parent: string;
}

/**
 * How each run starts besides the pruning solution (trained first, from θ0 by GMP): its updater,
 * its mask (the pruning solution's or the random one) and its init (θ0, or a fresh dense or sparse one).
 */
const RUN_STARTS = {
  scratch: { method: 'static', mask: 'pruned', init: 'dense' },
  'scratch+': { method: 'static', mask: 'pruned', init: 'sparse' },
  random_mask: { method: 'static', mask: 'random', init: 'dense' },
  rigl: { method: 'rigl', mask: 'random', init: 'dense' },
  'rigl+': { method: 'rigl', mask: 'random', init: 'sparse' },
  lottery: { method: 'static', mask: 'pruned', init: 'theta0' },
} as const satisfies Record<
  Exclude<GradflowRun, 'pruned'>,
  { method: 'static' | 'rigl'; mask: 'pruned' | 'random'; init: 'theta0' | 'dense' | 'sparse' }
>;

/** A run's starting mask and weights (RUN_STARTS), given the trained pruning solution. */
function startOfRun(ctx: GradflowContext, run: keyof typeof RUN_STARTS, pruned: Trained) {
  const start = RUN_STARTS[run];
  const masks = cloneMasks(start.mask === 'pruned' ? pruned.final.masks : ctx.plan.randomMask);
  if (start.init !== 'theta0') return { masks, init: freshInit(ctx.hp, ctx.plan.setup, masks, start.init) };
  const init = cloneArrays(ctx.plan.theta0);
  for (const [n, mask] of masks) init.get(n)!.forEach((_, i, a) => (a[i]! *= mask[i]!));
  return { masks, init };
}

/**
 * Bumped on any change of a gradflow default or behaviour: hashed into the experiment's id and its
 * runs'. 2: scratch and scratch+ train the pruning solution's mask (they trained a random one, now
 * random_mask's), and the default runs add random_mask (issue 21).
 */
export const GRADFLOW_RECIPE_VERSION = 2;

/** The experiment's run id (its child runs hash their own fields under the same version). */
export function gradflowRunId(hp: GradflowHparams, recipe = GRADFLOW_RECIPE_VERSION): string {
  return hashedRunId('gradflow', gradflowHparamsSchema, hp, recipe);
}

export function runGradflow(hp: GradflowHparams, opts: GradflowOptions): GradflowResult {
  const { store } = opts;
  const log = opts.log ?? (() => {});
  const plan = planGradflow(hp);
  const runId = gradflowRunId(hp);
  const dir = store.dir(runId);
  store.open(dir, hp, { runId, kind: 'gradflow', recipe: GRADFLOW_RECIPE_VERSION, report: 'gradflow' });
  const ctx: GradflowContext = { hp, plan, opts, parent: runId };
  const specs = plan.setup.model.specs;
  // The pruning solution comes first: lottery needs its mask, and every run is compared with it.
  const pruned = trainRun(ctx, 'pruned', cloneArrays(plan.theta0), 'gmp', denseMasks(specs));
  const done = new Map<GradflowRun, Trained>([['pruned', pruned]]);
  for (const run of hp.gradflow.runs) {
    if (done.has(run)) continue;
    if (!Object.hasOwn(RUN_STARTS, run)) throw unknownName('gradflow run', run, GRADFLOW_RUNS);
    const { masks, init } = startOfRun(ctx, run as keyof typeof RUN_STARTS, pruned);
    done.set(run, trainRun(ctx, run, init, RUN_STARTS[run as keyof typeof RUN_STARTS].method, masks));
  }
  log('measuring the landscape (distances, interpolation, disagreement, ensembles)');
  const result: GradflowResult = { runId, runDir: dir, ...measureLandscape(hp, plan, done) };
  writeJson(join(dir, GRADFLOW_FILE), result);
  store.release(dir);
  return result;
}

/** One child run's identity: the training groups and the gradflow fields that shape it. */
function runHparams(hp: GradflowHparams, run: GradflowRun) {
  return { dataset: hp.dataset, model: hp.model, training: hp.training, gradflow: runFields(hp, run) };
}

/** Trains (or reads back) one child run with the method's updater, logging its gradient norm. */
function trainRun(
  ctx: GradflowContext,
  run: GradflowRun,
  init: Map<string, Float32Array>,
  method: 'gmp' | 'static' | 'rigl',
  masks: Masks,
): Trained {
  const { store } = ctx.opts;
  const { plan } = ctx;
  const model = plan.setup.model;
  const startMask = maskSha256(masks);
  const updater = sparseUpdater(methodDef(method), {
    specs: model.specs,
    masks,
    densities: plan.densities,
    schedules: { drop: plan.drop, gmp: plan.gmp },
    deltaT: ctx.hp.gradflow.deltaT,
    totalSteps: plan.setup.totalSteps,
  })!;
  const hparams = runHparams(ctx.hp, run);
  const childId = hashedRunId('gradflow_run', runSchema, runSchema.parse(hparams), GRADFLOW_RECIPE_VERSION);
  const childDir = store.dir(childId);
  const curvePath = join(childDir, GRADNORM_FILE);
  let points = readJson<GradNormPoint[]>(curvePath) ?? [];
  const options = plan.setup.options({
    validation: undefined,
    init: cloneArrays(init), // train() trains in these very arrays (tf.tensor does not copy); `init` stays θ_init
    sparse: updater,
    logSteps: plan.logSteps,
    callbacks: {
      onLog(step, _w, params) {
        const norm = gradientNorm(model, params(), plan.gradBatch, updater.masks);
        points = [...points.filter((p) => p.step !== step), { step, ...norm }].sort(
          (a, b) => a.step - b.step,
        );
        writeJson(curvePath, points);
      },
    },
  });
  const r = runTraining({
    store,
    runId: childId,
    dir: childDir,
    kind: 'gradflow_run',
    recipe: GRADFLOW_RECIPE_VERSION,
    parent: ctx.parent,
    hparams,
    options,
    callbacks: ctx.opts.callbacks,
    metricsEvery: ctx.opts.metricsEvery,
    label: run,
  });
  const stored = loadWeights(join(childDir, WEIGHTS_FILE));
  return {
    run,
    runId: childId,
    runDir: childDir,
    cached: r.cached,
    testAccuracy: r.testAccuracy,
    testLoss: r.testLoss,
    init: { weights: init },
    final: { weights: stored.weights, bnStats: stored.bnStats, masks: stored.masks ?? new Map() },
    gradNorm: gradNormCurve(readJson<GradNormPoint[]>(curvePath) ?? [], model.specs),
    maskSha256: startMask,
  };
}

function gradNormCurve(points: GradNormPoint[], specs: readonly { name: string }[]): GradNormCurve {
  const layers: Record<string, number[]> = {};
  for (const sp of specs) layers[sp.name] = points.map((p) => p.layers[sp.name]!);
  return { steps: points.map((p) => p.step), total: points.map((p) => p.total), layers };
}

/** Every solution against the pruning solution and against each other, on the test set. */
function measureLandscape(
  hp: GradflowHparams,
  plan: GradflowPlan,
  done: Map<GradflowRun, Trained>,
): Omit<GradflowResult, 'runId' | 'runDir'> {
  const { model, dataset } = plan.setup;
  const test = dataset.test;
  const logits = new Map<GradflowRun, Float32Array>();
  for (const [run, t] of done) logits.set(run, logitsOf(model, t.final, test));
  const preds = new Map([...logits].map(([r, z]) => [r, argmaxRows(z, model.numClasses)]));
  const reports = hp.gradflow.runs.map((run) =>
    runReport(hp, plan, done.get(run)!, done.get('pruned')!, logits, preds),
  );
  const names = [...done.keys()];
  const matrix = names.map((a) => names.map((b) => disagreement(preds.get(a)!, preds.get(b)!)));
  return {
    model: hp.model.name,
    sparsity: hp.gradflow.sparsity,
    gradBatch: hp.gradflow.gradBatch,
    totalSteps: plan.setup.totalSteps,
    updateSteps: updateSteps(hp, plan),
    runs: reports,
    disagreement: { names, matrix },
    ensembleAccuracy: ensembleAccuracy(
      hp.gradflow.runs.map((r) => logits.get(r)!),
      test.y,
      model.numClasses,
    ),
  };
}

/**
 * The steps where the masks change, by the schedules' own rules (sparsity/schedules.ts): the
 * gradient-norm figure marks them, since the norm jumps where weights are pruned or regrown.
 */
function updateSteps(hp: GradflowHparams, plan: GradflowPlan): UpdateSteps {
  const steps = Array.from({ length: plan.setup.totalSteps + 1 }, (_, t) => t);
  const gmp = { ...plan.gmp, finalSparsity: hp.gradflow.sparsity };
  const rigl = hp.gradflow.runs.some((r) => RUN_STARTS[r as keyof typeof RUN_STARTS]?.method === 'rigl');
  return {
    gmp: steps.filter((t) => isGmpPruneStep(gmp, t)),
    ...(rigl ? { rigl: steps.filter((t) => isUpdateStep(plan.drop, t)) } : {}),
  };
}

/** One run's place relative to the pruning solution: distances, interpolation, disagreement, ensemble. */
function runReport(
  hp: GradflowHparams,
  plan: GradflowPlan,
  t: Trained,
  pruned: Trained,
  logits: Map<GradflowRun, Float32Array>,
  preds: Map<GradflowRun, Int32Array>,
): RunReport {
  const { model, dataset } = plan.setup;
  const test = dataset.test;
  const ref = pruned.final;
  const self = t.run === 'pruned';
  const points = hp.gradflow.interpolationPoints;
  return {
    run: t.run,
    runId: t.runId,
    runDir: t.runDir,
    cached: t.cached,
    testAccuracy: t.testAccuracy,
    testLoss: t.testLoss,
    sparsity: 1 - sparsityReport(model.specs, t.final.masks).density,
    maskSha256: self ? maskSha256(t.final.masks) : t.maskSha256,
    gradNorm: t.gradNorm,
    gradNormAtInit: t.gradNorm.steps[0] === 0 ? t.gradNorm.total[0]! : NaN,
    distanceToPruned: l2Distance(t.final.weights, ref.weights),
    distanceToInit: l2Distance(t.final.weights, t.init.weights),
    initDistanceToPruned: l2Distance(t.init.weights, ref.weights),
    disagreementWithPruned: disagreement(preds.get(t.run)!, preds.get('pruned')!),
    interpolationToPruned: self
      ? flat(evaluateSolution(model, ref, test), points)
      : interpolation(model, t.final, ref, test, {
          points,
          bnData: headOf(dataset.train, 1000), // batch-norm models: statistics re-estimated per α
        }),
    ensembleWithPrunedAccuracy: ensembleAccuracy(
      self ? [logits.get(t.run)!] : [logits.get(t.run)!, logits.get('pruned')!],
      test.y,
      model.numClasses,
    ),
  };
}

/** The pruning solution against itself: a flat line, no barrier (saves evaluating it 30 times). */
function flat(m: { loss: number; accuracy: number }, points: number): Interpolation {
  const alphas = Array.from({ length: points }, (_, i) => i / (points - 1));
  return {
    alphas,
    loss: alphas.map(() => m.loss),
    error: alphas.map(() => 1 - m.accuracy),
    barrier: 0,
    lossBarrier: 0,
  };
}

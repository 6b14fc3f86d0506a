/**
 * Dynamic sparse training as a stored experiment (RigL, papers.md §3–4): the `dst` hyperparameter
 * group, its validation before any training, and `runDst`, which builds masks + updater and runs
 * them through the cached, resumable `runTraining`. Reports accuracy, final per-layer densities and
 * theoretical FLOPs (RigL App. H).
 */
import { dstWarnings } from './dst-warnings.js';
import { join } from 'node:path';
import { z } from 'zod';
import type { Dataset } from '../data/types.js';
import type { Model } from '../models/types.js';
import {
  methodDef,
  methodNames,
  methodParamsShape,
  smallDenseWidths,
  type GmpPlan,
  type MethodDef,
  type MethodName,
} from '../algorithms/index.js';
import {
  decayNames,
  denseForwardFlops,
  distributionNames,
  sparseForwardFlops,
  sparseInit,
  INIT_SCALE,
  sparseInitNames,
  sparsityReport,
  type DropSchedule,
  type LayerDensities,
  type Masks,
  type SparsityReport,
} from '../sparsity/index.js';
import type { SparseUpdater, TrainOptions } from '../training/loop.js';
import { Step } from '../training/step.js';
import type { RunStore } from '../store/store.js';
import { Rng } from '../util/rng.js';
import { SprigError } from '../util/errors.js';
import { meanStd } from '../util/stats.js';
import {
  canonical,
  datasetSchema,
  modelSchema,
  namedEnum,
  runId,
  stepSchema,
  trainingSchema,
  validate,
  type TrainHparams,
} from './hparams.js';
import { loadData, setup, type Setup } from './setup.js';
import { methodSchedules, sparseUpdater, startMasks, targetDensities } from './sparse-run.js';
import type { Logging } from './run-observers.js';
import { loadWeights, runTraining, WEIGHTS_FILE, type RunResult, type RunSpec } from './run.js';

const stepString = stepSchema(
  "must be a step such as '10ep' or '500it', or a fraction of training such as 0.75",
);
/** A point in training: a Step string ('5ep', '3000it') or a fraction of the (M×) training length. */
const stepOrFraction = z.union([z.number(), stepString]);

/** The `dst` group. Defaults follow RigL (ΔT = 100, α = 0.3, cosine, T_end = 75 %) and never change. */
export const dstSchema = z
  .object({
    method: namedEnum('sparse-training method', methodNames)
      .default('rigl')
      .describe('sparse-training method, or the dense / small_dense baselines'),
    sparsity: z
      .number()
      .default(0.9)
      .describe('target sparsity S: fraction of prunable weights that are zero, in [0, 1)'),
    distribution: namedEnum('distribution', distributionNames).default('erk').describe('per-layer sparsity'),
    denseFirstLayer: z.boolean().default(true).describe('uniform only: keep the first layer dense (RigL)'),
    powerScale: z.number().default(1).describe("ERK only: RigL's erk_power_scale"),
    densities: z
      .record(z.string(), z.number())
      .optional()
      .describe("fixed densities per layer, e.g. 'fc1.weight=0.1' (every layer under 'custom')"),
    deltaT: z.number().int().default(100).describe('ΔT: steps between mask updates'),
    dropFraction: z.number().default(0.3).describe('α: drop fraction at the first update'),
    dropDecay: namedEnum('drop-fraction decay', decayNames).default('cosine').describe('drop-fraction decay'),
    decayPower: z.number().default(1).describe('k of the inverse-power decay'),
    tEnd: stepOrFraction
      .default(0.75)
      .describe("T_end: last mask update, a fraction of training or a step such as '8ep'"),
    init: namedEnum('sparse init', sparseInitNames)
      .default('dense')
      .describe(
        "initialisation of the sparse weights (gradient flow's unit_scaled, Liu et al.'s layer_scaled)",
      ),
    // Set to INIT_SCALE when unset under unit_scaled, so it enters the run id: runs drawn with 1 are not reused.
    initScale: z
      .number()
      .positive()
      .optional()
      .describe("unit_scaled only: var = initScale / masked fan-in (default 2, the dense He init's scale)"),
    multiplier: z
      .number()
      .default(1)
      .describe(
        "RigL's M×: multiplies training steps, LR milestones and warm-up, T_end and the GMP steps given as steps",
      ),
    gmpBegin: stepOrFraction.default(0.1).describe('GMP: first pruning step t0, a fraction or a step'),
    gmpEnd: stepOrFraction.default(0.75).describe('GMP: last pruning step, a fraction or a step'),
    gmpFrequency: z.number().int().optional().describe('GMP: steps between pruning steps (unset: ΔT)'),
    gmpInitialSparsity: z.number().default(0).describe('GMP: sparsity s_i at the first pruning step'),
    // Each method's own settings, from its file (algorithms/method.ts: params).
    ...methodParamsShape,
  })
  .strict();

export type DstGroup = z.infer<typeof dstSchema>;

export const dstHparamsSchema = z
  .object({
    dataset: datasetSchema.prefault({}),
    model: modelSchema.prefault({}),
    training: trainingSchema.prefault({}),
    dst: dstSchema.prefault({}),
  })
  .strict();

export type DstHparams = z.infer<typeof dstHparamsSchema>;

/** The hyperparameters with the fields its method ignores reset to defaults: dense at S = 0.9 and 0.95 is one run. */
export function normaliseDst(hp: DstHparams): DstHparams {
  const keep = new Set(methodDef(hp.dst.method).fields);
  const defaults = dstSchema.parse({}) as Record<string, unknown>;
  const dst = Object.fromEntries(Object.entries(hp.dst).filter(([k]) => keep.has(k)));
  if (dst.init === 'unit_scaled') dst.initScale = hp.dst.initScale ?? INIT_SCALE;
  else delete dst.initScale;
  return { ...hp, dst: { ...defaults, ...dst } as DstGroup };
}

/** Everything about a DST run that is known before training, all inputs checked. */
export interface DstPlan {
  hp: DstHparams;
  method: MethodName;
  runId: string;
  setup: Setup;
  /** The dense reference model (the one the sparsity is measured against). */
  reference: Model;
  /** Iterations of the base (1×) schedule; setup.totalSteps is M× this. */
  baseSteps: number;
  /** Target densities of the sparse model (empty for dense baselines). */
  densities: LayerDensities;
  schedule?: DropSchedule;
  gmp?: GmpPlan;
  masks?: Masks;
  updater?: SparseUpdater;
  init: Map<string, Float32Array>;
  totalSteps: number;
  options: TrainOptions;
}

/** A point in training → iterations: fractions of the (already M×) total; Steps times M. */
function resolvePoint(
  what: string,
  v: number | string,
  totalSteps: number,
  itersPerEpoch: number,
  multiplier: number,
): number {
  if (typeof v === 'number') {
    if (!(v > 0 && v <= 1))
      throw new SprigError(
        `${what} = ${v} is not a fraction of training in (0, 1]`,
        `give a fraction such as 0.75, or a step such as '5ep'`,
      );
    return Math.round(v * totalSteps);
  }
  return Math.round(multiplier * Step.parse(v).iterations(itersPerEpoch));
}

function checkRange(what: string, v: number, lo: number, hi: number, fix: string, hiOpen = true): void {
  if (!Number.isFinite(v) || v < lo || (hiOpen ? v >= hi : v > hi))
    throw new SprigError(`${what} = ${v} is outside [${lo}, ${hi}${hiOpen ? ')' : ']'}`, fix);
}

/** The dst group's ranges: checked by identify too, so a sweep's --dry-run refuses what a run would. */
export function checkDstGroup(dst: DstGroup): void {
  checkRange(
    'sparsity',
    dst.sparsity,
    0,
    1,
    'pass the fraction of weights to remove, e.g. 0.9 for 90 % sparse',
  );
  if (!(dst.multiplier > 0))
    throw new SprigError(
      `multiplier M = ${dst.multiplier} must be > 0`,
      'use 1 for the base schedule, 2 or 5 for RigL 2× / 5×',
    );
  if (!Number.isInteger(dst.deltaT) || dst.deltaT <= 0)
    throw new SprigError(
      `ΔT (deltaT) = ${dst.deltaT} must be a whole number of steps > 0`,
      'use e.g. --delta-t 100 (RigL default)',
    );
}

/** RigL's M×: the training length, the LR milestones and the warm-up (as iterations) times M. */
function scaleSchedule(hp: TrainHparams, base: Setup, multiplier: number): TrainHparams {
  const times = (step: string) => `${Math.round(multiplier * base.iterations(step))}it`;
  const t = hp.training;
  return {
    ...hp,
    training: {
      ...t,
      trainSteps: `${Math.round(multiplier * base.totalSteps)}it`,
      milestones: t.milestones.map(times),
      warmup: base.iterations(t.warmup) > 0 ? times(t.warmup) : t.warmup,
    },
  };
}

/** Bumped on any change of a dst default or behaviour: hashed into every dst run id. */
export const DST_RECIPE_VERSION = 1;

/**
 * The run id of normalised hyperparameters. Runs with M ≠ 1 and a warm-up get a marker: before the
 * warm-up was scaled by M they trained with the 1× warm-up, and the cache must not return them.
 */
export function dstRunId(hp: DstHparams, recipe = DST_RECIPE_VERSION): string {
  const id = canonical(hp as Record<string, unknown>, dstHparamsSchema.parse({}) as Record<string, unknown>);
  if (hp.dst.multiplier !== 1 && Step.parse(hp.training.warmup).iterations(1) > 0) id.warmupTimesM = true;
  return runId('dst', id, recipe);
}

/** Validates the hyperparameters and builds everything the run needs. Throws SprigError before any training. */
export function planDst(raw: unknown, dataset?: Dataset): DstPlan {
  const hp = normaliseDst(validate(dstHparamsSchema, raw));
  const def = methodDef(hp.dst.method);
  const dst = hp.dst;
  checkDstGroup(dst);
  const base = setup(hp, dataset ?? loadData(hp.dataset, hp.training.seed));
  const { run, densities } = trainedSetup(hp, def, base);
  const { totalSteps, model } = run;
  const iterationOf = (what: string, v: number | string) =>
    resolvePoint(what, v, totalSteps, run.itersPerEpoch, dst.multiplier);
  const schedules = methodSchedules(def, dst, totalSteps, iterationOf);
  const { init, masks } = startState(def, model, densities, hp);
  const updater = masks
    ? sparseUpdater(def, {
        specs: model.specs,
        masks,
        densities,
        schedules,
        deltaT: dst.deltaT,
        totalSteps,
        init: dst.init,
        initScale: dst.initScale,
        params: dst,
      })
    : undefined;
  return {
    hp,
    method: def.name,
    runId: dstRunId(hp),
    setup: run,
    reference: base.model,
    baseSteps: base.totalSteps,
    densities,
    schedule: schedules.drop,
    gmp: schedules.gmp,
    masks,
    updater,
    init,
    totalSteps,
    options: run.options({ init, sparse: updater }),
  };
}

/**
 * The M× setup of the model the method trains — the reference model, or one it names instead
 * (small_dense) — and the target densities of its sparse layers (none for dense models).
 */
function trainedSetup(
  hp: DstHparams,
  def: MethodDef,
  base: Setup,
): { run: Setup; densities: LayerDensities } {
  const reference = base.model;
  const scaled = scaleSchedule(hp, base, hp.dst.multiplier);
  let densities: LayerDensities = new Map();
  if (def.start !== 'none' || def.model) densities = targetDensities(reference.specs, hp.dst);
  if (def.model) {
    scaled.model = { name: def.model(reference, densities), init: 'fresh' };
    densities = new Map();
  }
  // the reference model is this run's model unless the method trains another one
  return { run: setup(scaled, base.dataset, def.model ? undefined : reference), densities };
}

/** θ0 (the loop's own default init for this seed) and the masks the method starts from, θ0 sparse-initialised under them. */
function startState(def: MethodDef, model: Model, densities: LayerDensities, hp: DstHparams) {
  const seed = hp.training.seed;
  const init = model.init(new Rng(seed));
  const masks = startMasks(def, model.specs, densities, new Rng(seed + 104729));
  if (def.start === 'random')
    sparseInit(model.specs, init, masks!, hp.dst.init, new Rng(seed + 130363), { scale: hp.dst.initScale });
  return { init, masks };
}

export interface DstFlops {
  /** Training FLOPs per example per step (RigL App. H). */
  trainingPerStep: number;
  /** trainingPerStep as a fraction of a dense step of the reference model (3 f_D). */
  trainingPerStepFraction: number;
  /**
   * Whole-run training FLOPs as a fraction of dense training on the base (1×) schedule: the
   * quantity RigL reports (RigL 2× at 90 % ≈ 0.2×, twice RigL 1×).
   */
  trainingFraction: number;
  /** Inference FLOPs per example of the final network, and as a fraction of the reference model's. */
  inference: number;
  inferenceFraction: number;
}

/** FLOPs of the finished run: its method's formula, per step and over the whole (M×) run. */
export function dstFlops(plan: DstPlan, finalMasks: Masks | undefined): DstFlops {
  const specs = plan.setup.model.specs;
  const fDref = denseForwardFlops(plan.reference.specs);
  const fD = denseForwardFlops(specs);
  const fS = finalMasks ? sparseForwardFlops(specs, finalMasks) : fD;
  const perStep = methodDef(plan.method).stepFlops({
    specs,
    finalMasks,
    fD,
    fS,
    schedules: { drop: plan.schedule, gmp: plan.gmp },
    totalSteps: plan.totalSteps,
  });
  const perStepFraction = perStep / (3 * fDref);
  return {
    trainingPerStep: perStep,
    trainingPerStepFraction: perStepFraction,
    trainingFraction: (perStepFraction * plan.totalSteps) / plan.baseSteps,
    inference: fS,
    inferenceFraction: fS / fDref,
  };
}

export interface DstResult extends RunResult {
  method: MethodName;
  model: string;
  /** Target sparsity (dense baselines: 0). */
  targetSparsity: number;
  /** Final density per prunable weight, in model order. */
  densities: Record<string, number>;
  flops: DstFlops;
  sparsity: SparsityReport;
  /** What made the run pointless as planned (dst-warnings.ts), e.g. no mask update before the end. */
  warnings?: string[];
}

export interface RunDstSpec extends Logging {
  store: RunStore;
  /** Raw hyperparameters (validated here), or a plan already made from them. */
  hparams?: unknown;
  plan?: DstPlan;
  dataset?: Dataset;
  callbacks?: RunSpec['callbacks'];
  label?: string;
  parent?: string;
}

/** Plans (unless given a plan), trains (or returns the stored result, or resumes) and reports one DST run. */
export function runDst(spec: RunDstSpec): DstResult {
  const plan = spec.plan ?? planDst(spec.hparams, spec.dataset);
  const r = runTraining({
    store: spec.store,
    runId: plan.runId,
    kind: 'dst',
    recipe: DST_RECIPE_VERSION,
    parent: spec.parent,
    hparams: plan.hp,
    options: plan.options,
    callbacks: spec.callbacks,
    metricsEvery: spec.metricsEvery,
    label: spec.label ?? plan.method,
    // Stored with the result, so figures read them without rebuilding the model.
    extraResult: (t) => {
      const { sparsity, ...facts } = dstFacts(plan, plan.masks ? t.masks : undefined);
      const warnings = dstWarnings(plan);
      return { ...facts, sparsity: 1 - sparsity.density, ...(warnings.length ? { warnings } : {}) };
    },
  });
  const { trained, ...result } = r;
  const finalMasks = plan.masks
    ? (trained?.masks ?? loadWeights(join(result.runDir, WEIGHTS_FILE)).masks)
    : undefined;
  return { ...result, ...dstFacts(plan, finalMasks) };
}

/** Method, target and final sparsity, per-layer densities and FLOPs of a finished DST run. */
function dstFacts(plan: DstPlan, finalMasks: Masks | undefined) {
  const report = sparsityReport(plan.setup.model.specs, finalMasks ?? new Map());
  const densities: Record<string, number> = {};
  for (const l of report.layers) densities[l.name] = l.density;
  return {
    method: plan.method,
    model: plan.setup.model.name,
    targetSparsity: plan.method === 'dense' ? 0 : plan.hp.dst.sparsity,
    densities,
    flops: dstFlops(plan, finalMasks),
    sparsity: report,
  };
}

export interface ComparisonRow {
  method: MethodName;
  n: number;
  /** Test accuracy over seeds. */
  mean: number;
  std: number;
  flops: DstFlops;
  runs: DstResult[];
}

/**
 * Runs every method × seed with the same step budget (each stored and cached) and summarises
 * accuracy as mean ± std. All plans are validated first, so a bad method fails before any training.
 */
export function compareDst(
  spec: Logging & {
    store: RunStore;
    hparams: Record<string, unknown> & { dst?: Record<string, unknown>; training?: Record<string, unknown> };
    methods: string[];
    seeds: number[];
    dataset?: Dataset;
    callbacks?: RunSpec['callbacks'];
    onRun?: (r: DstResult) => void;
  },
): ComparisonRow[] {
  const hpOf = (method: string, seed: number) => ({
    ...spec.hparams,
    training: { ...(spec.hparams.training ?? {}), seed },
    dst: { ...(spec.hparams.dst ?? {}), method },
  });
  for (const m of spec.methods) methodDef(m);
  if (!spec.seeds.length) throw new SprigError('no seeds to run', 'pass --seeds 0,1,2');
  // every plan made up front (cheap: no training), so a bad input fails before any run; the data
  // of each seed is loaded once (its validation split and subset depend on the seed)
  const data = new Map<number, Dataset | undefined>(spec.seeds.map((seed) => [seed, spec.dataset]));
  const plans = spec.methods.map((m) =>
    spec.seeds.map((seed) => {
      const plan = planDst(hpOf(m, seed), data.get(seed));
      data.set(seed, plan.setup.dataset);
      return plan;
    }),
  );
  const rows: ComparisonRow[] = [];
  for (const [i, m] of spec.methods.entries()) {
    const runs: DstResult[] = [];
    for (const [j, seed] of spec.seeds.entries()) {
      const r = runDst({
        store: spec.store,
        plan: plans[i]![j]!,
        callbacks: spec.callbacks,
        metricsEvery: spec.metricsEvery,
        label: `${m} s${seed}`,
      });
      runs.push(r);
      spec.onRun?.(r);
    }
    rows.push(comparisonRow(m, runs));
  }
  return rows;
}

/** One method's row: accuracy as mean ± std over its seeds, FLOPs averaged. */
function comparisonRow(method: string, runs: DstResult[]): ComparisonRow {
  const { mean, std } = meanStd(runs.map((r) => r.testAccuracy));
  const avg = (f: (r: DstResult) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;
  return {
    method: methodDef(method).name,
    n: runs.length,
    mean,
    std,
    flops: {
      trainingPerStep: avg((r) => r.flops.trainingPerStep),
      trainingPerStepFraction: avg((r) => r.flops.trainingPerStepFraction),
      trainingFraction: avg((r) => r.flops.trainingFraction),
      inference: avg((r) => r.flops.inference),
      inferenceFraction: avg((r) => r.flops.inferenceFraction),
    },
    runs,
  };
}

export { meanStd, methodNames, smallDenseWidths };

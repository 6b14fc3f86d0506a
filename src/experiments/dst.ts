/**
 * Dynamic sparse training as a stored experiment (RigL, papers.md §3–4): the `dst` hyperparameter
 * group, its validation before any training, and `runDst`, which builds masks + updater and runs
 * them through the cached, resumable `runTraining`. Reports accuracy, final per-layer densities and
 * theoretical FLOPs (RigL App. H).
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { Dataset } from '../data/types.js';
import type { Model, ParamSpec } from '../models/types.js';
import { methodDef, methodNames, type MethodName, type UpdaterConfig } from '../algorithms/index.js';
import {
  activeCount,
  decayNames,
  denseForwardFlops,
  denseMasks,
  distributionNames,
  flopsReport,
  layerDensities,
  randomMasks,
  sizeOf,
  sparseForwardFlops,
  sparseInit,
  INIT_SCALE,
  sparseInitNames,
  sparsityReport,
  validateDropSchedule,
  validateGmpSchedule,
  type DistributionName,
  type DropSchedule,
  type LayerDensities,
  type Masks,
  type SparsityReport,
} from '../sparsity/index.js';
import type { SparseUpdater, TrainOptions } from '../training/loop.js';
import { Step } from '../training/step.js';
import type { RunStore } from '../store/store.js';
import { Rng } from '../util/rng.js';
import { SprigError, unknownName } from '../util/errors.js';
import {
  datasetSchema,
  hashedRunId,
  modelSchema,
  trainingSchema,
  validate,
  type TrainHparams,
  stepSchema,
} from './hparams.js';
import { loadData, setup, type Setup } from './setup.js';
import { loadWeights, runTraining, WEIGHTS_FILE, type RunResult, type RunSpec } from './run.js';

const stepString = stepSchema(
  "must be a step such as '10ep' or '500it', or a fraction of training such as 0.75",
);
/** A point in training: a Step string ('5ep', '3000it') or a fraction of the (M×) training length. */
const stepOrFraction = z.union([z.number(), stepString]);

/** The `dst` group. Defaults follow RigL (ΔT = 100, α = 0.3, cosine, T_end = 75 %) and never change. */
export const dstSchema = z
  .object({
    /** static, snip, set, snfs, rigl, gmp, or the dense / small_dense baselines. */
    method: z.string().default('rigl'),
    /** Target fraction of prunable weights that are zero, in [0, 1). */
    sparsity: z.number().default(0.9),
    distribution: z.string().default('erk'),
    /** uniform only: keep the first layer dense (RigL). */
    denseFirstLayer: z.boolean().default(true),
    /** erk only: RigL's erk_power_scale. */
    powerScale: z.number().default(1),
    /** Fixed densities per layer (required for every layer under 'custom'). */
    densities: z.record(z.string(), z.number()).optional(),
    /** ΔT: steps between mask updates. */
    deltaT: z.number().default(100),
    /** α: drop fraction at the first update. */
    dropFraction: z.number().default(0.3),
    dropDecay: z.string().default('cosine'),
    /** k of the inverse-power decay. */
    decayPower: z.number().default(1),
    /** T_end: last mask update, a Step or a fraction of training. */
    tEnd: stepOrFraction.default(0.75),
    /** Initialisation of the sparse weights (gradient-flow paper's unit_scaled, Liu et al.'s layer_scaled). */
    init: z.string().default('dense'),
    /** unit_scaled only: var = initScale / masked fan-in. Set to INIT_SCALE (2, as the dense He init)
     *  when unset, so it enters the run id: runs from before, drawn with 1, are not reused. */
    initScale: z.number().positive().optional(),
    /** RigL's M×: multiplies training steps, LR milestones, T_end and the GMP steps given as Steps. */
    multiplier: z.number().default(1),
    /** GMP: t0, end, Δt (default ΔT) and the sparsity s_i reached at t0. */
    gmpBegin: stepOrFraction.default(0.1),
    gmpEnd: stepOrFraction.default(0.75),
    gmpFrequency: z.number().optional(),
    gmpInitialSparsity: z.number().default(0),
    /** SNFS: momentum of the dense-gradient EMA. */
    snfsMomentum: z.number().default(0.9),
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

/** Fields that matter for each kind of method; the others are reset to their defaults for the run id. */
const SHAPE_FIELDS = [
  'method',
  'sparsity',
  'distribution',
  'denseFirstLayer',
  'powerScale',
  'densities',
  'multiplier',
] as const;
const INIT_FIELDS = ['init', 'initScale'] as const;
const DROP_FIELDS = ['deltaT', 'dropFraction', 'dropDecay', 'decayPower', 'tEnd'] as const;
const GMP_FIELDS = ['gmpBegin', 'gmpEnd', 'gmpFrequency', 'gmpInitialSparsity', 'deltaT'] as const;

function relevantFields(m: MethodName): readonly string[] {
  switch (m) {
    case 'dense':
      return ['method', 'multiplier'];
    case 'small_dense':
      return SHAPE_FIELDS;
    case 'static':
    case 'snip':
      return [...SHAPE_FIELDS, ...INIT_FIELDS];
    case 'set':
    case 'rigl':
      return [...SHAPE_FIELDS, ...INIT_FIELDS, ...DROP_FIELDS];
    case 'snfs':
      return [...SHAPE_FIELDS, ...INIT_FIELDS, ...DROP_FIELDS, 'snfsMomentum'];
    case 'gmp':
      return [...SHAPE_FIELDS, ...GMP_FIELDS];
  }
}

/** The hyperparameters with the fields a method ignores reset to defaults: dense at S = 0.9 and 0.95 is one run. */
export function normaliseDst(hp: DstHparams): DstHparams {
  const m = methodDef(hp.dst.method).name;
  const keep = new Set(relevantFields(m));
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
  /** Target densities of the sparse model (empty for dense baselines). */
  densities: LayerDensities;
  schedule?: DropSchedule;
  gmp?: { begin: number; end: number; frequency: number; initialSparsity: number };
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
  m: number,
): number {
  if (typeof v === 'number') {
    if (!(v > 0 && v <= 1))
      throw new SprigError(
        `${what} = ${v} is not a fraction of training in (0, 1]`,
        `give a fraction such as 0.75, or a step such as '5ep'`,
      );
    return Math.round(v * totalSteps);
  }
  return Math.round(m * Step.parse(v).iterations(itersPerEpoch));
}

function checkRange(what: string, v: number, lo: number, hi: number, fix: string, hiOpen = true): void {
  if (!Number.isFinite(v) || v < lo || (hiOpen ? v >= hi : v > hi))
    throw new SprigError(`${what} = ${v} is outside [${lo}, ${hi}${hiOpen ? ')' : ']'}`, fix);
}

/**
 * MLP hidden widths for a dense network with about `target` parameters, keeping the proportions of
 * `hidden` (RigL's Small-Dense: same parameter count as the sparse network).
 */
export function smallDenseWidths(
  hidden: number[],
  inputs: number,
  classes: number,
  target: number,
): number[] {
  const count = (h: number[]) => {
    let n = 0;
    let fin = inputs;
    for (const w of [...h, classes]) {
      n += fin * w + w;
      fin = w;
    }
    return n;
  };
  let best = hidden.map(() => 1);
  for (let h1 = 1; h1 <= hidden[0]!; h1++) {
    const h = hidden.map((x) => Math.max(1, Math.round((x * h1) / hidden[0]!)));
    if (Math.abs(count(h) - target) < Math.abs(count(best) - target)) best = h;
  }
  return best;
}

function mlpHidden(model: Model): number[] | undefined {
  if (model.name !== 'mnist_lenet_300_100' && !/^mlp(_\d+)*$/.test(model.name)) return undefined;
  return model.specs.filter((s) => s.kind === 'dense' && !s.isOutput).map((s) => s.shape[1]!);
}

function activeParams(specs: readonly ParamSpec[], densities: LayerDensities): number {
  return specs.reduce(
    (a, s) => a + (s.prunable ? activeCount(sizeOf(s.shape), densities.get(s.name) ?? 1) : sizeOf(s.shape)),
    0,
  );
}

/** Validates the hyperparameters and builds everything the run needs. Throws SprigError before any training. */
export function planDst(raw: unknown, dataset?: Dataset): DstPlan {
  const parsed = validate(dstHparamsSchema, raw);
  const def = methodDef(parsed.dst.method);
  const hp = normaliseDst(parsed);
  const d = hp.dst;
  if (!distributionNames.includes(d.distribution as DistributionName))
    throw unknownName('distribution', d.distribution, distributionNames);
  if (!(decayNames as readonly string[]).includes(d.dropDecay))
    throw unknownName('drop-fraction decay', d.dropDecay, decayNames);
  if (!(sparseInitNames as readonly string[]).includes(d.init))
    throw unknownName('sparse init', d.init, sparseInitNames);
  checkRange(
    'sparsity',
    d.sparsity,
    0,
    1,
    'pass the fraction of weights to remove, e.g. 0.9 for 90 % sparse',
  );
  if (!(d.multiplier > 0))
    throw new SprigError(
      `multiplier M = ${d.multiplier} must be > 0`,
      'use 1 for the base schedule, 2 or 5 for RigL 2× / 5×',
    );
  if (!Number.isInteger(d.deltaT) || d.deltaT <= 0)
    throw new SprigError(
      `ΔT (deltaT) = ${d.deltaT} must be a whole number of steps > 0`,
      'use e.g. --delta-t 100 (RigL default)',
    );
  checkRange('snfsMomentum', d.snfsMomentum, 0, 1, 'use 0.9 (RigL)');

  const ds = dataset ?? loadData(hp.dataset, hp.training.seed);
  const base = setup(hp, ds);
  const reference = base.model;
  // RigL's M×: steps and LR milestones (as iterations) times M.
  const M = d.multiplier;
  const scaled: TrainHparams = {
    ...hp,
    training: {
      ...hp.training,
      trainSteps: `${Math.round(M * base.totalSteps)}it`,
      milestones: hp.training.milestones.map((m) => `${Math.round(M * base.iterations(m))}it`),
    },
  };
  let densities: LayerDensities = new Map();
  if (def.name !== 'dense') {
    densities = layerDensities(reference.specs, {
      distribution: d.distribution as DistributionName,
      sparsity: d.sparsity,
      denseFirstLayer: d.denseFirstLayer,
      powerScale: d.powerScale,
      densities: d.densities,
    });
  }
  if (def.name === 'small_dense') {
    const hidden = mlpHidden(reference);
    if (!hidden)
      throw new SprigError(
        `small_dense needs an MLP model (mnist_lenet_300_100 or mlp_*), got '${reference.name}'`,
        'compare against small_dense on an MLP, or leave it out',
      );
    const inputs = reference.inputShape.reduce((a, b) => a * b, 1);
    const widths = smallDenseWidths(
      hidden,
      inputs,
      reference.numClasses,
      activeParams(reference.specs, densities),
    );
    scaled.model = { name: `mlp_${widths.join('_')}` };
    densities = new Map();
  }
  const s = setup(scaled, ds);
  const T = s.totalSteps;
  const ipe = s.itersPerEpoch;

  let schedule: DropSchedule | undefined;
  let gmp: DstPlan['gmp'];
  if (def.dynamic) {
    schedule = {
      dropFraction: d.dropFraction,
      deltaT: d.deltaT,
      tEnd: resolvePoint('T_end (tEnd)', d.tEnd, T, ipe, M),
      begin: 0,
      decay: d.dropDecay as DropSchedule['decay'],
      power: d.decayPower,
    };
    validateDropSchedule(schedule, T);
  }
  if (def.name === 'gmp') {
    gmp = {
      begin: resolvePoint('gmpBegin', d.gmpBegin, T, ipe, M),
      end: resolvePoint('gmpEnd', d.gmpEnd, T, ipe, M),
      frequency: d.gmpFrequency ?? d.deltaT,
      initialSparsity: d.gmpInitialSparsity,
    };
    validateGmpSchedule({ ...gmp, finalSparsity: d.sparsity }, T);
  }

  const model = s.model;
  const seed = hp.training.seed;
  const init = model.init(new Rng(seed)); // the loop's own default init for this seed
  let masks: Masks | undefined;
  if (def.start === 'random') {
    masks = randomMasks(model.specs, densities, new Rng(seed + 104729));
    sparseInit(model.specs, init, masks, d.init as (typeof sparseInitNames)[number], new Rng(seed + 130363), {
      scale: d.initScale,
    });
  } else if (def.start === 'dense') {
    masks = denseMasks(model.specs);
  }
  const cfg: UpdaterConfig | undefined = masks
    ? {
        specs: model.specs,
        masks,
        densities,
        schedule: schedule ?? { dropFraction: 0, deltaT: d.deltaT, tEnd: T },
        gmp,
        init: d.init as (typeof sparseInitNames)[number],
        initScale: d.initScale,
        snfsMomentum: d.snfsMomentum,
      }
    : undefined;
  const updater = cfg ? def.create(cfg) : undefined;
  return {
    hp,
    method: def.name,
    runId: hashedRunId('dst', dstHparamsSchema, hp),
    setup: s,
    reference,
    densities,
    schedule,
    gmp,
    masks,
    updater,
    init,
    totalSteps: T,
    options: s.options({ init, sparse: updater }),
  };
}

export interface DstFlops {
  /** Training FLOPs per example per step (RigL App. H). */
  trainingPerExample: number;
  /** Inference FLOPs per example of the final network. */
  inference: number;
  /** Both as fractions of the dense reference model. */
  trainingFraction: number;
  inferenceFraction: number;
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
}

/** FLOPs of the finished run, as fractions of the dense reference model. */
export function dstFlops(plan: DstPlan, finalMasks: Masks | undefined): DstFlops {
  const specs = plan.setup.model.specs;
  const fDref = denseForwardFlops(plan.reference.specs);
  const frac = (training: number, inference: number): DstFlops => ({
    trainingPerExample: training,
    inference,
    trainingFraction: training / (3 * fDref),
    inferenceFraction: inference / fDref,
  });
  if (!finalMasks) {
    const fD = denseForwardFlops(specs);
    return frac(3 * fD, fD);
  }
  const method = methodDef(plan.method).flops;
  if (method === 'gmp') {
    // One schedule over the FLOPs-weighted final sparsity: exact for s_i = 0, since every layer follows the same cubic.
    const fS = sparseForwardFlops(specs, finalMasks);
    const finalSparsity = 1 - fS / denseForwardFlops(specs);
    const g = plan.gmp!;
    const r = flopsReport(specs, finalMasks, 'gmp', {
      gmp: { ...g, initialSparsity: Math.min(g.initialSparsity, finalSparsity), finalSparsity },
      totalSteps: plan.totalSteps,
    });
    return frac(r.training, r.inference);
  }
  const r = flopsReport(specs, finalMasks, method, { deltaT: plan.schedule?.deltaT });
  return frac(r.training, r.inference);
}

export interface RunDstSpec {
  store: RunStore;
  /** Raw hyperparameters (validated here). */
  hparams: unknown;
  dataset?: Dataset;
  callbacks?: RunSpec['callbacks'];
  label?: string;
  parent?: string;
}

/** Plans, trains (or returns the stored result, or resumes) and reports one DST run. */
export function runDst(spec: RunDstSpec): DstResult {
  const plan = planDst(spec.hparams, spec.dataset);
  const r = runTraining({
    store: spec.store,
    runId: plan.runId,
    kind: 'dst',
    parent: spec.parent,
    hparams: plan.hp,
    options: plan.options,
    callbacks: spec.callbacks,
    label: spec.label ?? plan.method,
  });
  const { trained, ...result } = r;
  const finalMasks = plan.masks
    ? (trained?.masks ?? loadWeights(join(result.runDir, WEIGHTS_FILE)).masks)
    : undefined;
  const specs = plan.setup.model.specs;
  const densities: Record<string, number> = {};
  const report = sparsityReport(specs, finalMasks ?? new Map());
  for (const l of report.layers) densities[l.name] = l.density;
  return {
    ...result,
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

/** Sample mean and standard deviation (n − 1; 0 for one value). */
export function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) : 0;
  return { mean, std: Math.sqrt(v) };
}

/**
 * Runs every method × seed with the same step budget (each stored and cached) and summarises
 * accuracy as mean ± std. All plans are validated first, so a bad method fails before any training.
 */
export function compareDst(o: {
  store: RunStore;
  hparams: Record<string, unknown> & { dst?: Record<string, unknown>; training?: Record<string, unknown> };
  methods: string[];
  seeds: number[];
  dataset?: Dataset;
  callbacks?: RunSpec['callbacks'];
  onRun?: (r: DstResult) => void;
}): ComparisonRow[] {
  const hpOf = (method: string, seed: number) => ({
    ...o.hparams,
    training: { ...(o.hparams.training ?? {}), seed },
    dst: { ...(o.hparams.dst ?? {}), method },
  });
  for (const m of o.methods) methodDef(m);
  if (!o.seeds.length) throw new SprigError('no seeds to run', 'pass --seeds 0,1,2');
  // the data of each seed is loaded once (its validation split and subset depend on the seed)
  const data = new Map<number, Dataset>();
  const dataFor = (seed: number) => {
    if (o.dataset) return o.dataset;
    if (!data.has(seed)) data.set(seed, planDst(hpOf(o.methods[0]!, seed)).setup.dataset);
    return data.get(seed)!;
  };
  // validate every plan up front (cheap: no training), so a bad input fails before any run
  for (const m of o.methods) for (const seed of o.seeds) planDst(hpOf(m, seed), dataFor(seed));
  const rows: ComparisonRow[] = [];
  for (const m of o.methods) {
    const runs: DstResult[] = [];
    for (const seed of o.seeds) {
      const r = runDst({
        store: o.store,
        hparams: hpOf(m, seed),
        dataset: dataFor(seed),
        callbacks: o.callbacks,
        label: `${m} s${seed}`,
      });
      runs.push(r);
      o.onRun?.(r);
    }
    const { mean, std } = meanStd(runs.map((r) => r.testAccuracy));
    const avg = (f: (r: DstResult) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;
    rows.push({
      method: methodDef(m).name,
      n: runs.length,
      mean,
      std,
      flops: {
        trainingPerExample: avg((r) => r.flops.trainingPerExample),
        inference: avg((r) => r.flops.inference),
        trainingFraction: avg((r) => r.flops.trainingFraction),
        inferenceFraction: avg((r) => r.flops.inferenceFraction),
      },
      runs,
    });
  }
  return rows;
}

export { methodNames };

/**
 * The minimal training loop (OpenLTH-style): iterate steps, update weights in place, evaluate and
 * checkpoint every epoch. Everything else — losses (KD), sparsity (masks, RigL, …), progress,
 * logging — is injected, so this file stays small. A run killed at any moment resumes from its last
 * checkpoint and ends exactly where an uninterrupted one ends.
 */
import {
  activeWeights,
  bindSparseLayers,
  buffer,
  compilePlan,
  multiplyInPlace,
  sayFallback,
  scoped,
  sparseReport,
  tf,
  withDenseWeightGradients,
  type CompiledMlp,
  type EngineName,
  type SparseLayerReport,
} from '../engine/index.js';
import type { Batch, Split } from '../data/types.js';
import type { Model, ParamTensors } from '../models/types.js';
import { Rng } from '../util/rng.js';
import { cloneArrays } from '../util/arrays.js';
import { SprigError } from '../util/errors.js';
import { createOptimizer, type Optimizer, type OptimizerHparams } from './optimizers.js';
import { learningRate, type LrHparams } from './lr.js';
import { crossEntropyLoss, type LossFn } from './losses.js';
import { evaluate, type EvalMetrics } from './evaluate.js';
import { compiledEvaluate, compiledStep } from './compiled-step.js';
import { restoreLoopState, saveLoopState, type LoopState } from './loop-state.js';
import type { BatchSource, Callbacks, EpochEvent, SparseUpdater, StepContext } from './loop-types.js';

// The loop's interfaces, where its callers have always found them.
export type {
  BatchSource,
  Buffers,
  Callbacks,
  EpochEvent,
  SparseUpdater,
  StepContext,
} from './loop-types.js';

/**
 * Several observers as one, called in list order: each hook of the result calls that hook of every
 * member, so composing never drops one (spreading callback objects would keep only the last).
 */
export function composeCallbacks(...list: (Callbacks | undefined)[]): Callbacks {
  const all = list.filter((c): c is Callbacks => c !== undefined);
  return {
    onStep: (step, totalSteps, loss, lr) => all.forEach((c) => c.onStep?.(step, totalSteps, loss, lr)),
    onEpoch: (e) => all.forEach((c) => c.onEpoch?.(e)),
    onLog: (step, weights, params) => all.forEach((c) => c.onLog?.(step, weights, params)),
  };
}

export interface TrainOptions {
  model: Model;
  source: BatchSource;
  test: Split;
  validation?: Split;
  inputShape: [number, number, number];
  optimizer: OptimizerHparams;
  lr: LrHparams;
  totalSteps: number;
  itersPerEpoch: number;
  /** The first iteration (weight/LR rewinding start mid-schedule). */
  startStep?: number;
  seed: number;
  /** Initial values of the trainable variables (default: the model's own init from `seed`). */
  init?: Map<string, Float32Array>;
  /** Initial batch-norm running statistics (e.g. rewound ones). */
  initBnStats?: Map<string, { mean: Float32Array; variance: Float32Array }>;
  sparse?: SparseUpdater;
  loss?: LossFn;
  /** Maps trainable variables to the model's parameters (default: identity); bases use θ = B(m ⊙ c). */
  reparam?: (vars: ParamTensors) => ParamTensors;
  /** File for the checkpoint; none means no checkpoints. */
  checkpointPath?: string;
  /** Also checkpoint at these iterations (rewind points θ_k). */
  saveAt?: (step: number, weights: Map<string, Float32Array>) => void;
  logSteps?: Set<number>;
  callbacks?: Callbacks;
  evalBatchSize?: number;
  /**
   * 'compiled': each step and evaluation batch in one native call (engine/compiled) when the model
   * and loss allow; default 'tfjs', the reference.
   */
  engine?: EngineName;
}

export interface TrainResult {
  weights: Map<string, Float32Array>;
  bnStats: Map<string, { mean: Float32Array; variance: Float32Array }>;
  masks?: Map<string, Float32Array>;
  test: EvalMetrics;
  validation?: EvalMetrics;
  history: EpochEvent[];
  steps: number;
  /** Training seconds, summed over resumed pieces. */
  wallSeconds: number;
  /** Masked layers and whether they ran on the sparse kernels (engine/kernels/sparse-engine.ts). */
  sparseLayers?: SparseLayerReport[];
  /** With engine 'compiled': what ran the steps, and why TF.js did when it did. */
  stepEngine?: { engine: EngineName; reason?: string };
}

let modelCounter = 0;

/** The model's trainable variables, created from `init` (copied: the loop updates them in place). */
function createVariables(o: TrainOptions) {
  const { model } = o;
  const uid = `m${modelCounter++}`;
  const init = o.init ?? model.init(new Rng(o.seed));
  const vars = new Map<string, tf.Variable>();
  // Copy: tf.tensor adopts a Float32Array without copying.
  for (const s of model.specs) {
    vars.set(
      s.name,
      tf.variable(tf.tensor(Float32Array.from(init.get(s.name)!), s.shape), true, `${uid}/${s.name}`),
    );
  }
  const trainable = model.specs.map((s) => s.name);
  const varTensors = (): ParamTensors => Object.fromEntries(trainable.map((n) => [n, vars.get(n)!]));
  const params = (): ParamTensors => (o.reparam ? o.reparam(varTensors()) : varTensors());
  const lossFn = o.loss ?? crossEntropyLoss();
  const [h, w, c] = o.inputShape;
  // The gradient arrays outlive their tensors: the backend drops its reference, ours stays valid.
  const gradientsOf = (batch: Batch): { loss: number; grads: Map<string, Float32Array> } =>
    scoped(() => {
      const x = tf.tensor4d(batch.x, [batch.n, h, w, c]);
      const y = tf.tensor1d(batch.y, 'int32');
      const { value, grads } = tf.variableGrads(
        () => lossFn(model.forward(params(), x, true), y, x),
        [...vars.values()],
      );
      const out = new Map<string, Float32Array>();
      for (const n of trainable) out.set(n, grads[`${uid}/${n}`]!.dataSync() as Float32Array);
      return { loss: value.dataSync()[0]!, grads: out };
    });
  // Sparse layers compute weight gradients at their active weights only, unless the updater asks.
  const denseGradientsOf = (batch: Batch) => withDenseWeightGradients(() => gradientsOf(batch));
  return { vars, trainable, params, gradientsOf, denseGradientsOf };
}

/** Everything a run holds while it trains: its variables, live buffers, optimizer and where it stands. */
interface LiveRun extends ReturnType<typeof createVariables> {
  weights: Map<string, Float32Array>;
  masks?: Map<string, Float32Array>;
  optimizer: Optimizer;
  rng: Rng;
  /** What a checkpoint holds (loop-state.ts). */
  state: LoopState;
  step: number;
  history: EpochEvent[];
  /** Training seconds of the pieces before this one (a resumed run). */
  wallBefore: number;
  /** Undoes the binding of masked layers to the sparse kernels. */
  unbind?: () => void;
  /** The compiled plan that runs the steps (engine 'compiled'), or why there is none. */
  compiled?: CompiledMlp;
  stepEngine?: TrainResult['stepEngine'];
}

export function train(o: TrainOptions): TrainResult {
  const run = startRun(o);
  const t0 = performance.now();
  const wallSeconds = () => run.wallBefore + (performance.now() - t0) / 1000;
  let epochLoss = 0;
  let epochSteps = 0;
  while (run.step < o.totalSteps) {
    const { loss, lr } = trainStep(o, run);
    run.step++;
    epochLoss += loss;
    epochSteps++;
    o.callbacks?.onStep?.(run.step, o.totalSteps, loss, lr);
    if (run.step % o.itersPerEpoch === 0 || run.step === o.totalSteps) {
      endEpoch(o, run, epochLoss / epochSteps, wallSeconds);
      epochLoss = epochSteps = 0;
    }
  }
  if (o.logSteps?.has(run.step)) o.callbacks?.onLog?.(run.step, run.weights, run.params);
  o.saveAt?.(run.step, run.weights);
  return finishRun(o, run, wallSeconds);
}

/** The variables from the init, or the state of the checkpoint when there is one to resume from. */
function startRun(o: TrainOptions): LiveRun {
  const { model } = o;
  const variables = createVariables(o);
  const { vars, trainable } = variables;
  const weights = new Map(trainable.map((n) => [n, buffer(vars.get(n)!)]));
  if (o.initBnStats) copyBnStats(o.initBnStats, model.bnStats);
  const optimizer = createOptimizer(o.optimizer);
  const rng = new Rng(o.seed + 7919);
  const masks = o.sparse?.masks;
  const state: LoopState = {
    weights,
    bnStats: model.bnStats,
    optimizer,
    sparse: o.sparse,
    source: o.source,
    rng,
  };
  const resumed = o.checkpointPath ? restoreLoopState(o.checkpointPath, state) : undefined;
  if (!resumed && masks) for (const [n, m] of masks) multiplyInPlace(weights.get(n)!, m);
  // Masked dense layers run on the sparse kernels where that pays; bases reparametrise
  // (θ = B(m ⊙ c)), so their weights are not sparse.
  const unbind = masks && !o.reparam ? bindSparseLayers(vars, masks) : undefined;
  return {
    ...variables,
    ...compileRun(o, { vars, weights, masks, optimizer }),
    weights,
    masks,
    optimizer,
    rng,
    state,
    step: resumed?.step ?? o.startStep ?? 0,
    history: resumed?.history ?? [],
    wallBefore: resumed?.wallSeconds ?? 0,
    unbind,
  };
}

/** Engine 'compiled': the run's compiled plan, or TF.js and the reason (said once). */
function compileRun(
  o: TrainOptions,
  s: Pick<LiveRun, 'vars' | 'weights' | 'masks' | 'optimizer'>,
): Pick<LiveRun, 'compiled' | 'stepEngine'> {
  if (o.engine !== 'compiled') return {};
  const loss = o.loss ?? crossEntropyLoss();
  const r = s.optimizer.compiled
    ? compilePlan({
        modelName: o.model.name,
        chain: o.model.chain,
        labelSmoothing: loss.crossEntropy?.labelSmoothing,
        reparam: !!o.reparam,
        batchNorm: o.model.bnStats.size > 0,
        state: { vars: s.vars, weights: s.weights, masks: s.masks, moments: s.optimizer.moments! },
      })
    : { reason: 'the optimizer has no compiled form' };
  if (r.reason) sayFallback(r.reason);
  return { compiled: r.compiled, stepEngine: { engine: r.compiled ? 'compiled' : 'tfjs', reason: r.reason } };
}

/** One iteration before its count: log, gradients of the next batch, the update. */
function trainStep(o: TrainOptions, run: LiveRun): { loss: number; lr: number } {
  const { step, weights } = run;
  if (o.logSteps?.has(step)) o.callbacks?.onLog?.(step, weights, run.params);
  o.saveAt?.(step, weights);
  const batch = o.source.next();
  const lr = learningRate(o.lr, step, o.totalSteps);
  if (run.compiled) {
    const loss = compiledStep(run.compiled, {
      batch,
      step,
      totalSteps: o.totalSteps,
      lr,
      labelSmoothing: (o.loss ?? crossEntropyLoss()).crossEntropy!.labelSmoothing,
      denseGradients: needsDenseGradients(o.sparse, step),
      weights,
      optimizer: run.optimizer,
      sparse: o.sparse,
      rng: run.rng,
      gradients: (b) => run.denseGradientsOf(b).grads,
    });
    if (!Number.isFinite(loss)) throw diverged(step, loss, run.history);
    return { loss, lr };
  }
  const gradientsOf = needsDenseGradients(o.sparse, step) ? run.denseGradientsOf : run.gradientsOf;
  const { loss, grads } = gradientsOf(batch);
  if (!Number.isFinite(loss)) throw diverged(step, loss, run.history);
  const ctx: StepContext = {
    step,
    totalSteps: o.totalSteps,
    lr,
    weights,
    grads,
    optimizer: run.optimizer,
    batch,
    rng: run.rng,
    gradients: (b) => run.denseGradientsOf(b).grads,
  };
  updateWeights(ctx, o.sparse, (n) => activeWeights(run.vars.get(n)!));
  return { loss, lr };
}

function diverged(step: number, loss: number, history: EpochEvent[]): SprigError {
  const last = history.at(-1);
  return new SprigError(
    `training diverged at iteration ${step}: the loss is ${loss}. ` +
      (last
        ? `The last good checkpoint (epoch ${last.epoch}) is kept.`
        : 'No checkpoint had been written yet.'),
    'lower the learning rate (--lr), or add warm-up (--warmup)',
  );
}

/** An epoch's end (or training's): evaluate, record, and checkpoint everything a resume needs. */
function endEpoch(o: TrainOptions, run: LiveRun, trainLoss: number, wallSeconds: () => number): void {
  const { step, history } = run;
  const ev: EpochEvent = {
    epoch: Math.ceil(step / o.itersPerEpoch),
    step,
    totalSteps: o.totalSteps,
    trainLoss,
    ...evaluateAll(o, run.params, run.compiled),
  };
  history.push(ev);
  o.callbacks?.onEpoch?.(ev);
  if (o.checkpointPath)
    saveLoopState(o.checkpointPath, run.state, { step, history, wallSeconds: wallSeconds() });
}

/** The trained state copied out of the variables, which are then released. */
function finishRun(o: TrainOptions, run: LiveRun, wallSeconds: () => number): TrainResult {
  const { trainable, params, masks, history, vars } = run;
  const final = history.at(-1) ?? evaluateAll(o, params, run.compiled);
  // θ seen by the model (after any reparametrisation), copied out of the variables.
  const theta = scoped(() => {
    const p = params();
    return new Map(trainable.map((n) => [n, Float32Array.from(p[n]!.dataSync() as Float32Array)]));
  });
  const result: TrainResult = {
    weights: theta,
    bnStats: cloneBnStats(o.model.bnStats),
    masks: masks ? cloneArrays(masks) : undefined,
    test: final.test,
    validation: final.validation,
    history,
    steps: run.step,
    wallSeconds: wallSeconds(),
    sparseLayers: run.unbind ? sparseReport(vars) : undefined,
    stepEngine: run.stepEngine,
  };
  run.unbind?.();
  for (const v of vars.values()) v.dispose();
  return result;
}

/** An updater with hooks may read ctx.grads at masked weights unless it says otherwise; a bare mask cannot. */
function needsDenseGradients(u: SparseUpdater | undefined, step: number): boolean {
  if (!u) return false;
  return u.denseGradients?.(step) ?? !!(u.beforeStep || u.afterStep);
}

/**
 * One step's update: the sparse updater may replace the optimizer step (RigL's mask updates);
 * otherwise gradients are masked and the optimizer steps every weight, a sparse layer only its
 * active ones (`activeOf`; the masked ones stay zero either way).
 */
function updateWeights(
  ctx: StepContext,
  sparse: SparseUpdater | undefined,
  activeOf: (name: string) => ReturnType<typeof activeWeights>,
): void {
  const masks = sparse?.masks;
  const optimizer = ctx.optimizer;
  const replaced = sparse?.beforeStep?.(ctx) ?? false;
  if (!replaced) {
    for (const [n, wt] of ctx.weights) {
      const g = ctx.grads.get(n)!;
      const m = masks?.get(n);
      const active = m && optimizer.updateActive ? activeOf(n) : undefined;
      if (active) optimizer.updateActive!(n, wt, g, ctx.lr, active.active, active.mirror);
      else {
        if (m) multiplyInPlace(g, m);
        optimizer.update(n, wt, g, ctx.lr, m);
      }
    }
    optimizer.endStep();
  }
  sparse?.afterStep?.(ctx);
}

/** Test (and validation) metrics of the current parameters (a batch per native call when compiled). */
function evaluateAll(
  o: TrainOptions,
  params: () => ParamTensors,
  compiled?: CompiledMlp,
): Pick<EpochEvent, 'test' | 'validation'> {
  const ev = (s: Split) =>
    compiled ? compiledEvaluate(compiled, s, o.evalBatchSize) : evaluate(o.model, params, s, o.evalBatchSize);
  return { test: ev(o.test), validation: o.validation ? ev(o.validation) : undefined };
}

export function cloneBnStats(s: Map<string, { mean: Float32Array; variance: Float32Array }>) {
  return new Map(
    [...s].map(([n, v]) => [n, { mean: Float32Array.from(v.mean), variance: Float32Array.from(v.variance) }]),
  );
}

function copyBnStats(
  from: Map<string, { mean: Float32Array; variance: Float32Array }>,
  to: Map<string, { mean: Float32Array; variance: Float32Array }>,
) {
  for (const [n, s] of from) {
    const t = to.get(n);
    if (t) {
      t.mean.set(s.mean);
      t.variance.set(s.variance);
    }
  }
}

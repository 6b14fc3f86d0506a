/**
 * One replicate of a lottery experiment: its dense level 0 (which saves θ0 and θ_k), the points of
 * a pruning chain (IMP levels, one-shot sparsities) and the training of one ticket — masks,
 * starting weights, loss and reparametrisation — as a stored, resumable run.
 *
 * Layout: runs/lottery_<hash>/replicate_<r>/
 *   rewind/step_<k>.bin        θ_k (and batch-norm statistics) captured while level 0 trains
 *   level_<L>/                 masks.bin (serialiseMasks), sparsity.json, weights.bin, result.json
 *   level_<L>/<branch>_<hash>/ a branch from that level's mask (same files)
 *   oneshot_<s>/               one-shot pruning of level 0 to sparsity s
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/types.js';
import type { ParamSpec } from '../models/types.js';
import { artifactPath, FILES, hasResult, readBinary, writeBinary, writeJson } from '../store/artifacts.js';
import type { RunStore } from '../store/store.js';
import type { Callbacks, TrainOptions } from '../training/loop.js';
import type { LossFn } from '../training/losses.js';
import { Rng } from '../util/rng.js';
import { SprigError } from '../util/errors.js';
import {
  denseMasks,
  deserialiseMasks,
  serialiseMasks,
  sparsityReport,
  type Masks,
} from '../sparsity/mask.js';
import { magnitudePrune, type PruneOptions } from '../sparsity/prune.js';
import type { Basis } from '../sparsity/bases.js';
import type { TrainHparams } from './hparams.js';
import { setup, type Setup } from './setup.js';
import type { Logging } from './run-observers.js';
import { loadWeights, runTraining, saveWeights, type RunResult, type StoredWeights } from './run.js';
import { basisReparam, coeffsOf } from './lottery-basis.js';
import {
  LOTTERY_RECIPE_VERSION,
  replicateHparams,
  type LotteryHparams,
  type LotteryPlan,
  type Rewind,
} from './lottery-hparams.js';
import { cloneArrays } from '../util/arrays.js';

export const MASKS_FILE = FILES.masks;

export interface LotteryContext extends Logging {
  store: RunStore;
  hp: LotteryHparams;
  plan: LotteryPlan;
  expId: string;
  expDir: string;
  dataset: Dataset;
  /** Progress / inspection per run label (e.g. 'r0 L2 kd'). */
  callbacks?: (label: string) => Callbacks;
}

export interface Replicate {
  ctx: LotteryContext;
  r: number;
  trainHp: TrainHparams;
  dir: string;
  id: string;
  specs: ParamSpec[];
  /** Rewind steps level 0 saves θ_k at (0 = θ0 always). */
  saveSteps: Set<number>;
  /** Points already resolved in this process, by directory. */
  points: Map<string, Point>;
}

/** A trained ticket: its masks, stored result and (lazily) its trained weights. */
export interface Point {
  label: string;
  dir: string;
  runId: string;
  masks: Masks;
  result: RunResult;
  weights(): StoredWeights;
}

/** A chain of pruned points: the main IMP run, or a chain branch (another basis, LR rewinding). */
export interface Chain {
  /** '' for the main chain, else the branch's name ('basis:dct', 'lr_rewind'). */
  name: string;
  /** '' for the main chain, else the branch's directory name under each level. */
  key: string;
  rewind: Rewind;
  basis?: Basis;
}

export function makeReplicate(ctx: LotteryContext, r: number, saveSteps: Set<number>): Replicate {
  const trainHp = replicateHparams(ctx.hp, r);
  const s = setup(trainHp, ctx.dataset);
  return {
    ctx,
    r,
    trainHp,
    dir: replicateDir(ctx.expDir, r),
    id: `${ctx.expId}.r${r}`,
    specs: s.model.specs,
    saveSteps,
    points: new Map(),
  };
}

/** Replicate r's directory in an experiment: its levels, one-shot points and rewind weights. */
export const replicateDir = (expDir: string, r: number) => join(expDir, `replicate_${r}`);
export const levelDir = (rep: Pick<Replicate, 'dir'>, level: number) => join(rep.dir, `level_${level}`);
export const oneShotDir = (rep: Replicate, sparsity: number) =>
  join(rep.dir, `oneshot_${+sparsity.toFixed(6)}`);
/** θ_k as level 0 saved it (θ0 at step 0). */
export const rewindPath = (rep: Pick<Replicate, 'dir'>, step: number) =>
  join(rep.dir, 'rewind', `step_${step}.bin`);

export const isTrained = hasResult;

export function readMasks(dir: string): Masks | undefined {
  return readBinary(artifactPath(dir, 'masks'), deserialiseMasks);
}

/** Masks and their sparsity report, written once before a point trains (they never change). */
function writeMasks(dir: string, specs: readonly ParamSpec[], masks: Masks): void {
  mkdirSync(dir, { recursive: true });
  const path = artifactPath(dir, 'masks');
  if (!existsSync(path)) writeBinary(path, [serialiseMasks(masks)]);
  const rep = artifactPath(dir, 'sparsity');
  if (!existsSync(rep)) writeJson(rep, sparsityReport(specs, masks));
}

function lazyWeights(dir: string): () => StoredWeights {
  let w: StoredWeights | undefined;
  return () => (w ??= loadWeights(artifactPath(dir, 'weights')));
}

/** θ_k saved by level 0; a clear error when level 0 ran without saving it. */
export function rewindWeights(rep: Replicate, step: number): StoredWeights {
  const p = rewindPath(rep, step);
  if (!existsSync(p)) {
    throw new SprigError(
      `replicate ${rep.r} has no saved weights at iteration ${step} (θ_k is saved while level 0 trains, and level 0 ran without this rewind step)`,
      `delete ${levelDir(rep, 0)} to retrain level 0 with this rewind step, or rewind to a step it saved`,
    );
  }
  return loadWeights(p);
}

export interface Start {
  init: Map<string, Float32Array>;
  bnStats: StoredWeights['bnStats'];
  startStep: number;
}

/** Where a pruned point starts: θ0, θ_k (schedule from k), or the previous point's final weights (LR rewinding). */
export function startOf(rep: Replicate, rewind: Rewind, prev: Point): Start {
  if (rewind.kind === 'lr') {
    const w = prev.weights();
    return { init: w.weights, bnStats: w.bnStats, startStep: 0 };
  }
  const step = rewind.kind === 'step' ? rewind.step : 0;
  const w = rewindWeights(rep, step);
  return { init: w.weights, bnStats: w.bnStats, startStep: step };
}

export interface TicketSpec {
  label: string;
  dir: string;
  runId: string;
  parent: string;
  kind: string;
  hparams: unknown;
  setup: Setup;
  /** null: dense (level 0), no masking at all. */
  masks: Masks | null;
  /** Evaluated only when the ticket has to train (a stored one needs no rewind files). */
  start: () => Start;
  loss?: LossFn;
  basis?: Basis;
  saveAt?: TrainOptions['saveAt'];
}

/** Trains (or returns the stored result of) one ticket; the loop keeps masked weights exactly zero. */
export function trainTicket(rep: Replicate, t: TicketSpec): Point {
  const specs = t.setup.model.specs;
  const masks = t.masks ?? denseMasks(specs);
  writeMasks(t.dir, specs, masks);
  const { ctx } = rep;
  // A stored ticket is returned only when its files pass their check.
  let result = ctx.store.finishedResult<RunResult>(t.dir);
  if (!result) {
    const rp = t.basis && t.masks ? basisReparam(t.basis, specs, t.masks) : undefined;
    try {
      const start = t.start();
      const init = t.basis ? coeffsOf(t.basis, specs, start.init) : start.init;
      const { trained: _t, ...r } = runTraining({
        store: ctx.store,
        runId: t.runId,
        dir: t.dir,
        kind: t.kind,
        recipe: LOTTERY_RECIPE_VERSION,
        parent: t.parent,
        hparams: t.hparams,
        label: t.label,
        callbacks: ctx.callbacks,
        metricsEvery: ctx.metricsEvery,
        options: t.setup.options({
          init: cloneArrays(init),
          initBnStats: start.bnStats,
          startStep: start.startStep,
          sparse: t.masks ? { masks: cloneArrays(t.masks) } : undefined,
          loss: t.loss,
          reparam: rp?.reparam,
          saveAt: t.saveAt,
          logSteps: new Set([start.startStep]),
        }),
      });
      result = r;
    } finally {
      rp?.dispose();
    }
  }
  return { label: t.label, dir: t.dir, runId: t.runId, masks, result, weights: lazyWeights(t.dir) };
}

/** The dense level 0 of a replicate: trains from θ0 and saves θ_k for every rewind step asked for. */
export function level0(rep: Replicate): Point {
  const dir = levelDir(rep, 0);
  const hit = rep.points.get(dir);
  if (hit) return hit;
  const s = setup(rep.trainHp, rep.ctx.dataset);
  const theta0 = s.model.init(new Rng(rep.trainHp.training.seed));
  const bn0 = new Map(
    [...s.model.bnStats].map(([n, v]) => [n, { mean: v.mean.slice(), variance: v.variance.slice() }]),
  );
  mkdirSync(join(rep.dir, 'rewind'), { recursive: true });
  const saveAt = (step: number, weights: Map<string, Float32Array>) => {
    // Written the first time the run reaches step k; a resumed run that reaches it again finds it there.
    if (!rep.saveSteps.has(step) || existsSync(rewindPath(rep, step))) return;
    const bn = new Map(
      [...s.model.bnStats].map(([n, v]) => [n, { mean: v.mean.slice(), variance: v.variance.slice() }]),
    );
    saveWeights(rewindPath(rep, step), { weights: cloneArrays(weights), bnStats: bn });
  };
  const p = trainTicket(rep, {
    label: `r${rep.r} L0`,
    dir,
    runId: `${rep.id}.L0`,
    parent: rep.ctx.expId,
    kind: 'lottery_level',
    hparams: { ...rep.trainHp, pruning: rep.ctx.hp.pruning, replicate: rep.r, level: 0 },
    setup: s,
    masks: null,
    start: () => ({ init: theta0, bnStats: bn0, startStep: 0 }),
    saveAt,
  });
  rep.points.set(dir, p);
  return p;
}

/** A point pruned from `prev` (one more IMP level, or one-shot from level 0) and trained from the chain's rewind point. */
export function prunedPoint(
  rep: Replicate,
  chain: Chain,
  prev: Point,
  opts: PruneOptions,
  where: { dir: string; runId: string; label: string; parent: string; hparams: Record<string, unknown> },
): Point {
  const hit = rep.points.get(where.dir);
  if (hit) return hit;
  const s = setup(rep.trainHp, rep.ctx.dataset);
  const specs = s.model.specs;
  let masks = readMasks(where.dir);
  if (!masks) {
    const w = prev.weights().weights;
    // In another basis the scores are the coefficients' magnitudes |Bᵀθ| (Generalized LTH).
    masks = magnitudePrune(specs, prev.masks, chain.basis ? coeffsOf(chain.basis, specs, w) : w, opts);
  }
  const p = trainTicket(rep, {
    ...where,
    kind: chain.key ? 'lottery_branch' : 'lottery_level',
    hparams: { ...rep.trainHp, pruning: rep.ctx.hp.pruning, replicate: rep.r, ...where.hparams },
    setup: s,
    masks,
    start: () => startOf(rep, chain.rewind, prev),
    basis: chain.basis,
  });
  rep.points.set(where.dir, p);
  return p;
}

/**
 * Branches of a lottery experiment, run from a main-chain point's mask (papers.md §1, §2, §7):
 *   reinit       same mask, a new random init (Frankle & Carbin's control)
 *   random_mask  a random mask with the same per-layer counts, same start
 *   kd           KD ticket: from θ0 with α·T²·KL(teacher ‖ student) + (1−α)·CE, teacher = dense level 0
 *   kd_rewind    the same loss from θ_k (schedule from k)
 *   rewind       weight rewinding, the KD ticket's baseline: cross-entropy from θ_k (the kd_rewind step)
 *   retrain      the main start with other training hyperparameters
 *   lr_rewind    a chain of its own: LR rewinding (Renda et al.) sharing level 0
 *   basis:<b>    a chain of its own: IMP on coefficients c = Bᵀθ, training θ = B(m ⊙ c)
 * Each branch lives in <point>/<name>_<hash of its knobs>/.
 */
import { join } from 'node:path';
import { tf } from '../engine/index.js';
import { createModelFrom } from '../models/registry.js';
import { kdLoss } from '../training/losses.js';
import { Rng } from '../util/rng.js';
import { SprigError, unknownName } from '../util/errors.js';
import { basisNames, checkBasisFits, makeBasis, type Basis } from '../sparsity/bases.js';
import { randomMasksLike } from '../sparsity/prune.js';
import { runId, trainingSchema, validate } from './hparams.js';
import { setup, type Setup } from './setup.js';
import {
  LOTTERY_RECIPE_VERSION,
  parseRewind,
  type LotteryHparams,
  type LotteryPlan,
  type Rewind,
} from './lottery-hparams.js';
import {
  isTrained,
  levelDir,
  level0,
  startOf,
  trainTicket,
  type Chain,
  type Point,
  type Replicate,
} from './lottery-ticket.js';
import type { Dataset } from '../data/types.js';

export const BRANCH_KINDS = [
  'reinit',
  'random_mask',
  'kd',
  'kd_rewind',
  'rewind',
  'retrain',
  'lr_rewind',
  ...basisNames.map((b) => `basis:${b}`),
] as const;

export interface Branch {
  /** As the user wrote it: 'kd', 'basis:dct', … (the key in results). */
  name: string;
  kind: 'reinit' | 'random_mask' | 'kd' | 'kd_rewind' | 'rewind' | 'retrain' | 'chain';
  /** The knobs that make the branch what it is; hashed into its directory name. */
  knobs: Record<string, unknown>;
  dirName: string;
  /** chain branches: their own rewind rule and basis. */
  chain?: Chain;
  kdRewind?: Rewind;
  retrainSetup?: (ds: Dataset, seed: number) => Setup;
}

/** Validates the branch list against the experiment, before anything trains. */
export function parseBranches(
  names: readonly string[],
  hp: LotteryHparams,
  plan: LotteryPlan,
  s: Setup,
  mainRewind: Rewind,
): Branch[] {
  const out: Branch[] = [];
  for (const name of names) {
    if (!(BRANCH_KINDS as readonly string[]).includes(name)) throw unknownName('branch', name, BRANCH_KINDS);
    if (out.some((b) => b.name === name))
      throw new SprigError(`branch '${name}' is listed twice`, 'list each branch once');
    const make = (
      kind: Branch['kind'],
      knobs: Record<string, unknown>,
      extra: Partial<Branch> = {},
    ): Branch => {
      const id = runId(name.replace(':', '_'), knobs, LOTTERY_RECIPE_VERSION);
      return { name, kind, knobs, dirName: id, ...extra };
    };
    if (name === 'reinit' || name === 'random_mask') out.push(make(name, { branch: name }));
    else if (name === 'kd')
      out.push(make('kd', { branch: name, alpha: plan.kdAlpha, temperature: plan.kdTemperature }));
    else if (name === 'kd_rewind' || name === 'rewind') {
      const { knobs, kdRewind } = rewindBranch(name, plan, s, mainRewind);
      out.push(make(name, knobs, { kdRewind }));
    } else if (name === 'retrain') {
      if (!Object.keys(plan.retrain).length)
        throw new SprigError(
          'the retrain branch needs other training hyperparameters',
          'pass --retrain \'{"lr": 0.05}\' (fields of the training group)',
        );
      const training = validate(
        trainingSchema,
        { ...hp.training, ...plan.retrain },
        'retrain hyperparameters',
      );
      const rs = setup({ ...hp, training }, s.dataset);
      if (mainRewind.kind === 'step') parseRewind(mainRewind.text, rs.iterations, rs.totalSteps);
      out.push(
        make(
          'retrain',
          { branch: name, training: plan.retrain },
          { retrainSetup: (ds, seed) => setup({ ...hp, training: { ...training, seed } }, ds) },
        ),
      );
    } else if (name === 'lr_rewind') {
      const knobs = { branch: name };
      out.push(
        make('chain', knobs, {
          chain: { name, key: runId('lr_rewind', knobs, LOTTERY_RECIPE_VERSION), rewind: { kind: 'lr' } },
        }),
      );
    } else {
      const { knobs, chain } = basisChain(name, plan, s, mainRewind);
      out.push(make('chain', knobs, { chain }));
    }
  }
  return out;
}

/** kd_rewind and rewind: the θ_k they start from (--kd-rewind, else the main rewind step) and their knobs. */
function rewindBranch(name: 'kd_rewind' | 'rewind', plan: LotteryPlan, s: Setup, mainRewind: Rewind) {
  const text = plan.kdRewind ?? (mainRewind.kind === 'step' ? mainRewind.text : undefined);
  if (!text)
    throw new SprigError(
      `the ${name} branch needs a rewind step, and the main run rewinds to 'init' or 'lr'`,
      "pass --kd-rewind STEP (e.g. '1ep') or --rewind STEP",
    );
  const kdRewind = parseRewind(text, s.iterations, s.totalSteps, `${name} step`);
  const kd = name === 'kd_rewind' ? { alpha: plan.kdAlpha, temperature: plan.kdTemperature } : {};
  return { knobs: { branch: name, ...kd, rewind: text }, kdRewind };
}

/** basis:<b>: a chain of its own in that basis, checked to fit every prunable layer; its knobs. */
function basisChain(name: string, plan: LotteryPlan, s: Setup, mainRewind: Rewind) {
  const knobs: Record<string, unknown> = { branch: name, block: plan.basisBlock, seed: plan.basisSeed };
  if (plan.basisRemainder !== 'ragged') knobs.remainder = plan.basisRemainder;
  if (plan.basisImage) knobs.image = true;
  const basis: Basis = makeBasis(name.slice('basis:'.length), {
    block: plan.basisBlock,
    seed: plan.basisSeed,
    remainder: plan.basisRemainder,
    image: plan.basisImage ? s.dataset.inputShape : undefined,
  });
  checkBasisFits(basis, s.model.specs);
  const key = runId(name.replace(':', '_'), knobs, LOTTERY_RECIPE_VERSION);
  return { knobs, chain: { name, key, rewind: mainRewind, basis } satisfies Chain };
}

/** The main chain's point at a level, and its predecessor (whose weights LR rewinding starts from). */
export interface MainPoint {
  point: Point;
  prev: Point;
  /** 'L3' or 'S0.36': for labels and run ids. */
  tag: string;
}

/** Runs one non-chain branch at a main point. */
export function runBranch(rep: Replicate, b: Branch, at: MainPoint, mainRewind: Rewind): Point {
  const { ctx } = rep;
  const dir = join(at.point.dir, b.dirName);
  if (b.kind === 'kd' || b.kind === 'kd_rewind') {
    if (!isTrained(levelDir(rep, 0)))
      throw new SprigError(
        `the ${b.name} branch needs the trained dense level 0 of replicate ${rep.r} as its teacher, and ${levelDir(rep, 0)} has none`,
        'run the lottery experiment without --branches-only first, so that level 0 trains',
      );
  }
  const seed = rep.trainHp.training.seed;
  const s = b.retrainSetup ? b.retrainSetup(ctx.dataset, seed) : setup(rep.trainHp, ctx.dataset);
  let masks = at.point.masks;
  let start = () => startOf(rep, mainRewind, at.prev);
  let loss;
  let teacher: tf.Tensor[] = [];
  const levelSeed = seed * 1000003 + hashTag(at.tag);
  if (b.kind === 'reinit') {
    // A fresh init from another stream; the same schedule as the ticket.
    const main = start;
    start = () => ({ ...main(), init: s.model.init(new Rng(levelSeed + 17)), bnStats: freshBn(s) });
  } else if (b.kind === 'random_mask') {
    masks = randomMasksLike(masks, new Rng(levelSeed + 29));
  } else if (b.kind === 'rewind') {
    start = () => startOf(rep, b.kdRewind!, at.prev);
  } else if ((b.kind === 'kd' || b.kind === 'kd_rewind') && !isTrained(dir)) {
    start = () => startOf(rep, b.kind === 'kd' ? { kind: 'init' } : b.kdRewind!, at.prev);
    const t = level0(rep).weights();
    const tm = createModelFrom(ctx.hp.model, ctx.dataset.inputShape, ctx.dataset.numClasses);
    for (const [n, st] of t.bnStats) {
      tm.bnStats.get(n)?.mean.set(st.mean);
      tm.bnStats.get(n)?.variance.set(st.variance);
    }
    const params = Object.fromEntries(
      tm.specs.map((sp) => [sp.name, tf.tensor(t.weights.get(sp.name)!, sp.shape)]),
    );
    teacher = Object.values(params);
    // Teacher in eval mode (running statistics); its logits carry no gradient (constants).
    loss = kdLoss(
      (x) => tm.forward(params, x, false),
      b.knobs.alpha as number,
      b.knobs.temperature as number,
      rep.trainHp.training.labelSmoothing,
    );
  }
  try {
    return trainTicket(rep, {
      label: `r${rep.r} ${at.tag} ${b.name}`,
      dir,
      runId: `${at.point.runId}.${b.dirName}`,
      parent: at.point.runId,
      kind: 'lottery_branch',
      hparams: { ...rep.trainHp, pruning: ctx.hp.pruning, replicate: rep.r, at: at.tag, branch: b.knobs },
      setup: s,
      masks,
      start,
      loss,
    });
  } finally {
    teacher.forEach((x) => x.dispose());
  }
}

function freshBn(s: Setup) {
  return new Map(
    [...s.model.bnStats].map(([n, v]) => [n, { mean: v.mean.slice(), variance: v.variance.slice() }]),
  );
}

function hashTag(tag: string): number {
  let h = 0;
  for (let i = 0; i < tag.length; i++) h = (h * 31 + tag.charCodeAt(i)) % 1000003;
  return h;
}

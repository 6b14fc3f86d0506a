/**
 * Lottery tickets by iterative magnitude pruning (Frankle & Carbin 2019; papers.md §7): train the
 * dense net (level 0), then per level prune a fraction p of the remaining weights and retrain from
 * the rewind point — θ0, θ_k (Frankle et al. 2020) or the final weights with the LR schedule
 * replayed (Renda et al. 2020) — with replicates, one-shot pruning and branches
 * (lottery-branches.ts). Every point is a stored run: finished ones are skipped, a killed one
 * resumes inside its level from the loop's checkpoint.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StoreFault } from '../store/faults.js';
import { artifactPath, readJson, writeJson } from '../store/artifacts.js';
import type { Callbacks } from '../training/loop.js';
import type { RunStore } from '../store/store.js';
import type { Dataset } from '../data/types.js';
import { SprigError } from '../util/errors.js';
import { meanStd } from '../util/stats.js';
import { checkLevels } from '../sparsity/prune.js';
import { maskSha256, sparsityReport } from '../sparsity/mask.js';
import { validate } from './hparams.js';
import type { Logging } from './run-observers.js';
import { loadData, setup } from './setup.js';
import {
  lotteryHparamsSchema,
  LOTTERY_RECIPE_VERSION,
  lotteryPlanSchema,
  lotteryRunId,
  oneShotOptions,
  parseRewind,
  pruneOptions,
  replicateHparams,
  type LotteryHparams,
  type LotteryPlan,
  type Rewind,
} from './lottery-hparams.js';
import {
  isTrained,
  level0,
  levelDir,
  makeReplicate,
  oneShotDir,
  prunedPoint,
  type Chain,
  type LotteryContext,
  type Point,
  type Replicate,
} from './lottery-ticket.js';
import { parseBranches, runBranch, type Branch, type MainPoint } from './lottery-branches.js';

export * from './lottery-hparams.js';

export interface LotteryOptions extends Logging {
  store: RunStore;
  /** Unvalidated groups {dataset, model, training, pruning}. */
  hparams: unknown;
  /** Unvalidated plan {levels, replicates, branches, …}. */
  plan: unknown;
  callbacks?: (label: string) => Callbacks;
  /** Progress lines (e.g. a level finished); default none. */
  log?: (line: string) => void;
  dataset?: Dataset;
}

export interface Stat {
  testAccuracy: number;
  /** Sample standard deviation over replicates (0 for one). */
  testAccuracyStd: number;
  /** Fraction of prunable weights (or coefficients) remaining, 0–1. */
  remaining: number;
  /** Per-replicate test accuracies. */
  replicates: number[];
  /** Mean wall seconds of the replicates' training runs at this point (absent in older results). */
  wallSeconds?: number;
  /** Per replicate, the SHA-256 of the mask it trained with (maskSha256): equal hashes, a shared mask. */
  maskSha256?: string[];
}

export interface PointSummary extends Stat {
  branches: Record<string, Stat>;
}

export interface LotteryResult {
  runId: string;
  runDir: string;
  hparams: LotteryHparams;
  levels: (PointSummary & { level: number })[];
  oneShot: (PointSummary & { sparsity: number })[];
}

/** Everything checked and resolved before anything trains. */
export interface PreparedLottery {
  ctx: LotteryContext;
  mainRewind: Rewind;
  branches: Branch[];
  branchLevels: number[];
  reps: Replicate[];
}

const MAIN: Omit<Chain, 'rewind'> = { name: '', key: '' };

export function prepareLottery(o: LotteryOptions): PreparedLottery {
  const hp = validate(lotteryHparamsSchema, o.hparams, 'lottery hyperparameters');
  const plan: LotteryPlan = validate(lotteryPlanSchema, o.plan ?? {}, 'lottery plan');
  const dataset = o.dataset ?? loadData(hp.dataset, hp.training.seed);
  const s = setup(replicateHparams(hp, 0), dataset);
  const specs = s.model.specs;
  checkLevels(specs, plan.levels, pruneOptions(hp.pruning));
  for (const sp of plan.oneShot) checkLevels(specs, 1, oneShotOptions(hp.pruning, sp));
  const mainRewind = parseRewind(hp.pruning.rewind, s.iterations, s.totalSteps);
  const branches = parseBranches(plan.branches, hp, plan, s, mainRewind);
  const branchLevels = plan.branchLevels ?? Array.from({ length: plan.levels }, (_, i) => i + 1);
  for (const l of branchLevels) {
    if (l > plan.levels)
      throw new SprigError(
        `branch level ${l} is past the last level (${plan.levels})`,
        `pass levels between 1 and ${plan.levels}`,
      );
  }
  const expId = lotteryRunId(hp);
  const ctx: LotteryContext = {
    store: o.store,
    hp,
    plan,
    expId,
    expDir: o.store.dir(expId),
    dataset,
    callbacks: o.callbacks,
    metricsEvery: o.metricsEvery,
  };
  const saveSteps = new Set([0]);
  if (mainRewind.kind === 'step') saveSteps.add(mainRewind.step);
  for (const b of branches) if (b.kdRewind?.kind === 'step') saveSteps.add(b.kdRewind.step);
  // --kd-rewind alone already makes level 0 save θ_k, so kd_rewind can branch off later.
  if (plan.kdRewind) {
    const k = parseRewind(plan.kdRewind, s.iterations, s.totalSteps, 'kd_rewind step');
    if (k.kind === 'step') saveSteps.add(k.step);
  }
  const reps = Array.from({ length: plan.replicates }, (_, r) => makeReplicate(ctx, r, saveSteps));
  for (const rep of reps) {
    const l0 = levelDir(rep, 0);
    if (plan.branchesOnly) {
      if (!isTrained(l0)) {
        const kd = branches.find((b) => b.kind === 'kd' || b.kind === 'kd_rewind');
        throw new SprigError(
          kd
            ? `the ${kd.name} branch needs the trained dense level 0 of replicate ${rep.r} as its teacher, and ${l0} has none`
            : `--branches-only needs the trained levels of replicate ${rep.r}, and level 0 (${l0}) is not trained`,
          'run the lottery experiment without --branches-only first',
        );
      }
      for (const l of [...branchLevels]) {
        if (!isTrained(levelDir(rep, l)))
          throw new SprigError(
            `--branches-only: level ${l} of replicate ${rep.r} is not trained`,
            `run the main levels first, or ask for branch levels below ${l}`,
          );
      }
    }
    // θ_k files are written while level 0 trains: a finished level 0 without them cannot serve this rewind step.
    if (isTrained(l0)) for (const k of saveSteps) if (k > 0) rewindCheck(rep, k);
  }
  ctx.store.open(ctx.expDir, hp, {
    runId: expId,
    kind: 'lottery',
    recipe: LOTTERY_RECIPE_VERSION,
    report: 'curve',
  });
  return { ctx, mainRewind, branches, branchLevels, reps };
}

function rewindCheck(rep: Replicate, k: number): void {
  if (!existsSync(join(rep.dir, 'rewind', `step_${k}.bin`))) {
    throw new SprigError(
      `level 0 of replicate ${rep.r} finished without saving θ_k at iteration ${k}`,
      `delete ${levelDir(rep, 0)} to retrain level 0 with this rewind step, or use another rewind step`,
    );
  }
}

/** The main chain's point at a level (training it unless --branches-only). */
function mainLevel(p: PreparedLottery, rep: Replicate, level: number): MainPoint {
  return chainLevel(p, rep, { ...MAIN, rewind: p.mainRewind }, level);
}

function chainLevel(p: PreparedLottery, rep: Replicate, chain: Chain, level: number): MainPoint {
  if (level === 0) {
    const l0 = level0(rep);
    return { point: l0, prev: l0, tag: 'L0' };
  }
  const prev = chainLevel(p, rep, chain, level - 1).point;
  const base = levelDir(rep, level);
  const point = prunedPoint(rep, chain, prev, pruneOptions(p.ctx.hp.pruning), {
    dir: chain.key ? join(base, chain.key) : base,
    runId: `${rep.id}.L${level}${chain.key ? `.${chain.key}` : ''}`,
    label: `r${rep.r} L${level}${chain.name ? ` ${chain.name}` : ''}`,
    parent: chain.key ? `${rep.id}.L${level}` : p.ctx.expId,
    hparams: { level, ...(chain.name ? { branch: chain.name } : {}) },
  });
  return { point, prev, tag: `L${level}` };
}

function oneShotPoint(
  p: PreparedLottery,
  rep: Replicate,
  chain: Chain,
  sparsity: number,
  under?: Point,
): MainPoint {
  const l0 = level0(rep);
  const base = oneShotDir(rep, sparsity);
  const tag = `S${+sparsity.toFixed(6)}`;
  const point = prunedPoint(rep, chain, l0, oneShotOptions(p.ctx.hp.pruning, sparsity), {
    dir: chain.key ? join(under!.dir, chain.key) : base,
    runId: `${rep.id}.${tag}${chain.key ? `.${chain.key}` : ''}`,
    label: `r${rep.r} one-shot ${+(sparsity * 100).toFixed(2)}%${chain.name ? ` ${chain.name}` : ''}`,
    parent: under?.runId ?? p.ctx.expId,
    hparams: { oneShot: sparsity, ...(chain.name ? { branch: chain.name } : {}) },
  });
  return { point, prev: l0, tag };
}

/** Runs (or reads back) the whole plan: levels in order, replicates inside each level, branches at each level. */
export function runLottery(o: LotteryOptions): LotteryResult {
  return runPrepared(prepareLottery(o), o.log);
}

export function runPrepared(p: PreparedLottery, log?: (line: string) => void): LotteryResult {
  const { ctx, reps, branches } = p;
  const { plan } = ctx;
  ctx.store.index.upsertRun({
    runId: ctx.expId,
    kind: 'lottery',
    status: 'running',
    dir: ctx.expDir,
    hparams: ctx.hp,
  });
  const levels: LotteryResult['levels'] = [];
  const oneShot: LotteryResult['oneShot'] = [];
  const atPoint = (
    points: MainPoint[],
    branchAt: (rep: Replicate, b: Branch, at: MainPoint) => Point,
  ): PointSummary => {
    const out: PointSummary = {
      ...stat(
        points.map((m) => m.point),
        reps[0]!,
      ),
      branches: {},
    };
    for (const b of branches)
      out.branches[b.name] = stat(
        reps.map((rep, i) => branchAt(rep, b, points[i]!)),
        reps[0]!,
      );
    return out;
  };
  try {
    for (let level = 0; level <= plan.levels; level++) {
      // --branches-only never trains the main chain: levels that are not there are left out.
      if (plan.branchesOnly && !reps.every((rep) => isTrained(levelDir(rep, level)))) continue;
      const pts = reps.map((rep) => mainLevel(p, rep, level));
      const withBranches = p.branchLevels.includes(level);
      const summary = atPoint(pts, (rep, b, at) =>
        !withBranches
          ? at.point
          : b.chain
            ? chainLevel(p, rep, b.chain, level).point
            : runBranch(rep, b, at, p.mainRewind),
      );
      if (!withBranches) summary.branches = {};
      levels.push({ level, ...summary });
      log?.(levelLine(levels.at(-1)!));
    }
    for (const sp of plan.oneShot) {
      if (plan.branchesOnly && !reps.every((rep) => isTrained(oneShotDir(rep, sp)))) continue;
      const pts = reps.map((rep) => oneShotPoint(p, rep, { ...MAIN, rewind: p.mainRewind }, sp));
      const summary = atPoint(pts, (rep, b, at) =>
        b.chain ? oneShotPoint(p, rep, b.chain, sp, at.point).point : runBranch(rep, b, at, p.mainRewind),
      );
      oneShot.push({ sparsity: sp, ...summary });
      log?.(`one-shot ${+(sp * 100).toFixed(2)}%: ${levelLine({ level: -1, ...summary })}`);
    }
  } catch (e) {
    // A disk fault leaves the run resumable (interrupted), and must not be hidden by a second error.
    if (!(e instanceof StoreFault))
      try {
        ctx.store.index.upsertRun({
          runId: ctx.expId,
          kind: 'lottery',
          status: 'failed',
          hparams: ctx.hp,
          result: { error: (e as Error).message },
        });
      } catch {
        // the index is unwritable too; the original error is the one to report
      }
    throw e;
  }
  const result: LotteryResult = { runId: ctx.expId, runDir: ctx.expDir, hparams: ctx.hp, levels, oneShot };
  keepEarlierBranches(result, readJson<LotteryResult>(artifactPath(ctx.expDir, 'curve')));
  record(p, result);
  ctx.store.release(ctx.expDir);
  return result;
}

/**
 * Branches an earlier invocation ran (and this one did not ask for) stay in the summary: their runs
 * are stored and unchanged, so a re-run without --branches must not drop them from curve.json.
 */
function keepEarlierBranches(r: LotteryResult, earlier: LotteryResult | undefined): void {
  if (!earlier) return;
  const merge = (now: PointSummary, before: PointSummary | undefined) => {
    for (const [name, s] of Object.entries(before?.branches ?? {})) now.branches[name] ??= s;
  };
  for (const l of r.levels)
    merge(
      l,
      earlier.levels?.find((e) => e.level === l.level),
    );
  for (const o of r.oneShot)
    merge(
      o,
      earlier.oneShot?.find((e) => e.sparsity === o.sparsity),
    );
}

function stat(points: Point[], rep: Replicate): Stat {
  const accs = points.map((pt) => pt.result.testAccuracy);
  const { mean, std } = meanStd(accs);
  return {
    testAccuracy: mean,
    testAccuracyStd: std,
    remaining: sparsityReport(rep.specs, points[0]!.masks).density,
    replicates: accs,
    wallSeconds: points.reduce((a, pt) => a + pt.result.wallSeconds, 0) / points.length,
    maskSha256: points.map((pt) => maskSha256(pt.masks)),
  };
}

function levelLine(l: PointSummary & { level: number }): string {
  const f = (s: Stat) => `${(s.testAccuracy * 100).toFixed(2)}±${(s.testAccuracyStd * 100).toFixed(2)}%`;
  const br = Object.entries(l.branches)
    .map(([n, s]) => ` ${n} ${f(s)}`)
    .join('');
  return `${l.level >= 0 ? `level ${l.level}: ` : ''}remaining ${(l.remaining * 100).toFixed(2)}% main ${f(l)}${br}`;
}

/** curve.json (accuracy against remaining weights, for plots) and the index's metrics, one step per level. */
function record(p: PreparedLottery, r: LotteryResult): void {
  const { ctx } = p;
  const curve = { runId: r.runId, hparams: ctx.hp, plan: ctx.plan, levels: r.levels, oneShot: r.oneShot };
  writeJson(artifactPath(ctx.expDir, 'curve'), curve);
  const idx = ctx.store.index;
  const metrics = (s: PointSummary) => {
    const m: Record<string, number> = {
      remaining: s.remaining,
      testAccuracy: s.testAccuracy,
      testAccuracyStd: s.testAccuracyStd,
    };
    for (const [n, b] of Object.entries(s.branches)) {
      m[`${n}.testAccuracy`] = b.testAccuracy;
      m[`${n}.testAccuracyStd`] = b.testAccuracyStd;
      m[`${n}.remaining`] = b.remaining;
    }
    return m;
  };
  for (const l of r.levels) idx.addMetrics(r.runId, l.level, metrics(l));
  if (r.oneShot.length) {
    const id = `${r.runId}.oneshot`;
    idx.upsertRun({
      runId: id,
      kind: 'lottery_oneshot',
      status: 'finished',
      parent: r.runId,
      hparams: ctx.hp,
    });
    r.oneShot.forEach((s, i) => idx.addMetrics(id, i, { sparsity: s.sparsity, ...metrics(s) }));
  }
  const last = r.levels.at(-1);
  idx.upsertRun({
    runId: r.runId,
    kind: 'lottery',
    status: 'finished',
    hparams: ctx.hp,
    result: {
      levels: r.levels.length - 1,
      replicates: ctx.plan.replicates,
      remaining: last?.remaining,
      testAccuracy: last?.testAccuracy,
    },
  });
}

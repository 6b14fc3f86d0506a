/** Settings the reproductions share: Fashion-MNIST at CPU scale, or tiny synthetic data under --quick. */
import { runLottery, type LotteryResult, type PointSummary, type Stat } from '../experiments/lottery.js';
import { measure } from './stats.js';
import type { Arm, ReproContext } from './types.js';

/** The dataset group: Fashion-MNIST, or the 512-example synthetic blobs under --quick. */
export const datasetOf = (ctx: ReproContext) => ({ name: ctx.quick ? 'synthetic' : 'fashion_mnist' });

/** The model under --quick (any MLP runs on the 8×8 synthetic inputs). */
export const QUICK_MODEL = 'mlp_16';

/**
 * Epochs per IMP training in the full lth and generalized-lth reproductions (one canonical chain
 * serves both). The paper trains LeNet-300-100 for 50,000 iterations of batch 60 (50 epochs) per
 * level; 3 epochs keep lth's trainings of three seeds within minutes on 2 idle cores.
 */
export const IMP_EPOCHS = '3ep';

interface LotteryGroups {
  dataset: object;
  model: object;
  training: Record<string, unknown>;
  pruning?: object;
}

/**
 * One lottery experiment per seed (training.seed = seed, one replicate), so any list of seeds works
 * and one `sprig lottery --seed S …` command recreates each seed's arms.
 */
export function lotteryPerSeed(ctx: ReproContext, hparams: LotteryGroups, plan: object): LotteryResult[] {
  return ctx.seeds.map((seed) =>
    runLottery({
      store: ctx.store,
      hparams: { ...hparams, training: { ...hparams.training, seed } },
      plan: { ...plan, replicates: 1 },
      callbacks: ctx.callbacks,
      log: ctx.log,
    }),
  );
}

/** A point's main ticket ('' ) or one of its branches. */
export const armStat = (p: PointSummary, branch: string): Stat => (branch ? p.branches[branch]! : p);

/** Per seed, the accuracy of an arm at a point chosen from each seed's result. */
export const perSeed = (rs: LotteryResult[], at: (r: LotteryResult) => PointSummary, branch = '') =>
  rs.map((r) => armStat(at(r), branch).testAccuracy);

/** Mean ± std over seeds of those accuracies. */
export const accuracyOver = (rs: LotteryResult[], at: (r: LotteryResult) => PointSummary, branch = '') =>
  measure(perSeed(rs, at, branch));

/**
 * The arms of per-seed lottery experiments at one point: each arm's command runs its own branch only
 * (the plan is not part of the run id), and its mask fingerprint shows which arms share a mask.
 */
export function lotteryArms(
  ctx: ReproContext,
  rs: LotteryResult[],
  plan: Record<string, unknown>,
  at: { tag: string; point: (r: LotteryResult) => PointSummary },
  arms: { arm: string; branch: string }[],
): Arm[] {
  return rs.flatMap((r, i) =>
    arms.map(({ arm, branch }) => ({
      arm: `${arm} @ ${at.tag}`,
      seed: ctx.seeds[i]!,
      runId: r.runId,
      kind: 'lottery' as const,
      groups: { ...r.hparams, lottery: { ...plan, branches: branch ? [branch] : [] } },
      maskSha256: armStat(at.point(r), branch).maskSha256?.[0],
    })),
  );
}

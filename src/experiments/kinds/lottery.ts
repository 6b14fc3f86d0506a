/** `lottery`: lottery tickets by iterative magnitude pruning, with replicates, one-shot points and branches. */
import { datasetSchema, modelSchema, trainingSchema, validate } from '../hparams.js';
import {
  LOTTERY_RECIPE_VERSION,
  lotteryHparamsSchema,
  lotteryPlanSchema,
  lotteryRunId,
  outputFractionOf,
  pruningSchema,
  replicateHparams,
  type LotteryHparams,
  type LotteryPlan,
} from '../lottery-hparams.js';
import { prepareLottery, runPrepared, type LotteryResult, type PointSummary, type Stat } from '../lottery.js';
import { optimizerSummary, setup } from '../setup.js';
import { parameterCount } from '../../models/registry.js';
import { engineStatus } from '../../engine/index.js';
import { isLotteryCurve, lotteryFigures } from '../../figures/lottery.js';
import { list, num } from '../../util/parse.js';
import { table } from '../../util/format.js';
import type { ExperimentKind, KindContext } from '../kind.js';

/** The experiment's groups and its plan (how much of it to run, outside the run id). */
export type LotteryInput = LotteryHparams & { lottery: LotteryPlan };

export const lottery = {
  name: 'lottery',
  description:
    "lottery tickets: iterative magnitude pruning with rewinding, replicates, one-shot pruning and branches (stored, resumable). Defaults: the MNIST recipe of Frankle & Carbin's TF re-implementation (SGD lr 0.1, no momentum, constant LR; per layer 20 %/level, output 10 %), with OpenLTH's batch 128 and He init, 10 epochs per level (the paper's own: --optimizer adam --lr 0.0012 --batch-size 60 --train-steps 50000it); docs/fidelity.md",
  groups: {
    dataset: datasetSchema,
    model: modelSchema,
    training: trainingSchema,
    pruning: pruningSchema,
    lottery: lotteryPlanSchema,
  },
  planGroups: ['lottery'],
  recipe: {},
  recipeVersion: LOTTERY_RECIPE_VERSION,
  flags: { parsers: { 'lottery.oneShot': parseOneShot } },
  identify(raw, recipe?: number) {
    const { lottery: plan, ...groups } = raw as Record<string, unknown>;
    const hp = validate(lotteryHparamsSchema, groups, 'lottery hyperparameters');
    const p = validate(lotteryPlanSchema, plan ?? {}, 'lottery plan');
    // the plan is checked but does not enter the id: more levels later reuse the finished ones
    return { hp: { ...hp, lottery: p }, runId: lotteryRunId(hp, recipe) };
  },
  run(input, ctx) {
    const { lottery: plan, ...hparams } = input;
    const prepared = prepareLottery({ ...ctx, hparams, plan });
    ctx.log?.(header(prepared.ctx.expId, ctx, prepared.ctx.hp, prepared.ctx.plan));
    return runPrepared(prepared, ctx.log);
  },
  summary,
  json: jsonOf,
  report: 'curve',
  figures: (src, row, doc, label) => (isLotteryCurve(doc) ? lotteryFigures(src, row, doc, label) : undefined),
  label: (hp) => hp.model.name,
} satisfies ExperimentKind<LotteryInput, LotteryResult>;

/** '0.2,0.36' or '0.8^1..8' (1 − 0.8^k for k = 1..8, the KD-ticket paper's grid). */
export function parseOneShot(v: string): number[] {
  return list(v).flatMap((item) => {
    const m = /^([\d.]+)\^(\d+)\.\.(\d+)$/.exec(item);
    if (!m) return [num(item)];
    const [b, lo, hi] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return Array.from({ length: Math.max(0, hi - lo + 1) }, (_, i) => +(1 - b ** (lo + i)).toFixed(8));
  });
}

function header(expId: string, ctx: KindContext, hp: LotteryHparams, plan: LotteryPlan): string {
  const s = setup(replicateHparams(hp, 0), ctx.dataset);
  const p = hp.pruning;
  return (
    `sprig lottery ${expId}: ${hp.model.name} (${parameterCount(s.model).toLocaleString('en')} parameters) on ${s.dataset.name}, ` +
    `${optimizerSummary(hp.training)}; prune ${p.pruneFraction} per level (${p.pruneScope}, output ${outputFractionOf(p)}), ` +
    `rewind ${p.rewind}; ${plan.levels} levels × ${plan.replicates} replicates; engine ${engineStatus().engine}`
  );
}

function jsonOf(r: LotteryResult) {
  const point = (s: PointSummary) => ({
    remaining: s.remaining,
    testAccuracy: s.testAccuracy,
    testAccuracyStd: s.testAccuracyStd,
    replicates: s.replicates,
    branches: s.branches,
  });
  return {
    runId: r.runId,
    runDir: r.runDir,
    levels: r.levels.map((l) => ({ level: l.level, ...point(l) })),
    oneShot: r.oneShot.map((l) => ({ sparsity: l.sparsity, ...point(l) })),
  };
}

const cell = (s: Stat | undefined) =>
  s ? `${(s.testAccuracy * 100).toFixed(2)} ± ${(s.testAccuracyStd * 100).toFixed(2)}` : '–';

function summary(r: LotteryResult): string {
  const names = [...new Set([...r.levels, ...r.oneShot].flatMap((l) => Object.keys(l.branches)))];
  const n = r.levels[0]?.replicates.length ?? 0;
  const out = [
    `lottery ${r.runId} (${r.runDir}); test accuracy %, mean ± std over ${n} replicate${n === 1 ? '' : 's'}`,
    '',
  ];
  const rows = (l: PointSummary) => [cell(l), ...names.map((b) => cell(l.branches[b]))];
  out.push(
    table(
      ['level', 'remaining %', 'main', ...names],
      r.levels.map((l) => [l.level, (l.remaining * 100).toFixed(2), ...rows(l)]),
    ),
  );
  if (r.oneShot.length) {
    out.push('', 'one-shot pruning of level 0:');
    out.push(
      table(
        ['sparsity %', 'remaining %', 'main', ...names],
        r.oneShot.map((l) => [(l.sparsity * 100).toFixed(2), (l.remaining * 100).toFixed(2), ...rows(l)]),
      ),
    );
  }
  return out.join('\n');
}

/**
 * Alabdulmohsin et al. 2021 (Generalized LTH) on LeNet-300-100 / Fashion-MNIST: IMP on the
 * coefficients of the DCT against canonical IMP, level by level (same coefficient counts), down to
 * under 5 % remaining. The first layer's DCT is the 2-D DCT of each unit's 28×28 receptive field;
 * the other layers use 8×8 blocks. SGD, since Adam is not rotation-invariant (docs/fidelity.md).
 */
import type { LotteryResult } from '../experiments/lottery.js';
import { claim, paired } from './claims.js';
import { series, sparsityChart } from './figures.js';
import {
  accuracyOver,
  datasetOf,
  IMP_EPOCHS,
  lotteryArms,
  lotteryPerSeed,
  perSeed,
  QUICK_MODEL,
} from './common.js';
import { measure, pct, pctPm } from './stats.js';
import type { Check, Outcome, Paper, ReproContext } from './types.js';

const DCT = 'basis:dct';
/** "Matching": within this much of the seed's own dense accuracy. */
const MATCH = 0.005;

/** Per seed, the deepest level L such that every level up to L is within 0.5 pp of dense. */
function matchingLevels(rs: LotteryResult[], branch: string): number[] {
  return rs.map((r) => {
    const dense = r.levels[0]!.testAccuracy;
    let deepest = 0;
    for (let l = 1; l < r.levels.length; l++) {
      const s = branch ? r.levels[l]!.branches[branch]! : r.levels[l]!;
      if (s.testAccuracy < dense - MATCH) break;
      deepest = l;
    }
    return deepest;
  });
}

function checks(rs: LotteryResult[], last: number): Check[] {
  const at = (b: string) => perSeed(rs, (r) => r.levels[last]!, b);
  const s = pct(rs[0]!.levels[last]!.remaining);
  return [
    claim(
      'DCT tickets stay within 0.5 pp of dense down to as few coefficients as canonical tickets (DCT − canonical levels, per seed)',
      paired(matchingLevels(rs, DCT), matchingLevels(rs, '')),
      { margin: -0.5, pp: false },
    ),
    claim(
      `at the sparsest level (${s} remaining) the DCT ticket beats the canonical one (DCT − canonical)`,
      paired(at(DCT), at('')),
    ),
  ];
}

function run(ctx: ReproContext): Outcome {
  // 14 levels of 20 % (output 10 %) leave 4.5 % of LeNet-300-100's weights.
  const levels = ctx.quick ? 2 : 14;
  const hparams = {
    dataset: datasetOf(ctx),
    model: { name: ctx.quick ? QUICK_MODEL : 'mnist_lenet_300_100' },
    // lth's schedule: the canonical chain is the same stored experiment as lth's θ0 chain.
    training: { trainSteps: ctx.quick ? '2ep' : IMP_EPOCHS, batchSize: ctx.quick ? 64 : 128, lr: 0.1 },
  };
  const plan = { levels, branches: [DCT], basisBlock: 8, basisImage: true };
  ctx.log('generalized-lth: canonical IMP and IMP in the DCT basis');
  const rs = lotteryPerSeed(ctx, hparams, plan);
  const x = rs[0]!.levels.map((l) => l.remaining);
  const canonical = x.map((_, i) => accuracyOver(rs, (r) => r.levels[i]!));
  const dct = x.map((_, i) => accuracyOver(rs, (r) => r.levels[i]!, i ? DCT : ''));
  const deepest = (b: string) => {
    const ls = matchingLevels(rs, b);
    return `${pct(measure(ls.map((l) => x[l]!)).mean)} (levels ${ls.join(', ')})`;
  };
  return {
    setting:
      `${hparams.model.name} on ${hparams.dataset.name}; SGD lr 0.1 batch ${hparams.training.batchSize}, ${hparams.training.trainSteps} per training (scaled down for CPU time, as in lth, whose canonical chain this is); ` +
      `IMP ${levels} levels of 20 % (output 10 %), rewound to θ0, in the canonical basis and on DCT coefficients: the first layer by the 2-D DCT of each unit's 28×28 receptive field, the others in 8×8 blocks of the weight matrix. ` +
      `Sparsest level within 0.5 pp of dense at every level before it (mean over seeds of the remaining fraction): canonical ${deepest('')}, DCT ${deepest(DCT)}.`,
    tables: [
      {
        title: 'Test accuracy (%) by fraction of weights / coefficients remaining',
        columns: ['level', 'remaining', 'canonical ticket', 'DCT ticket'],
        rows: x.map((rem, i) => [String(i), pct(rem), pctPm(canonical[i]!), i ? pctPm(dct[i]!) : '–']),
      },
    ],
    figures: [
      {
        name: 'generalized-lth-accuracy',
        chart: sparsityChart('generalized-lth', 'Tickets in the DCT basis vs the canonical basis', [
          series('canonical', x, canonical),
          series('DCT', x, dct),
        ]),
      },
    ],
    checks: checks(rs, levels),
    arms: lotteryArms(ctx, rs, plan, { tag: `level ${levels}`, point: (r) => r.levels[levels]! }, [
      { arm: 'canonical ticket', branch: '' },
      { arm: 'DCT ticket', branch: DCT },
    ]),
    runIds: rs.map((r) => r.runId),
    notes: ["The paper gives no layout of its DCT; sprig's is in docs/fidelity.md."],
  };
}

export const generalizedLth: Paper = {
  name: 'generalized-lth',
  title: 'A Generalized Lottery Ticket Hypothesis (Alabdulmohsin et al. 2021)',
  claim:
    'Lottery tickets exist in other bases than the canonical one, and in the DCT basis tickets reach matching accuracy with equal or fewer retained coefficients than canonical tickets.',
  run,
};

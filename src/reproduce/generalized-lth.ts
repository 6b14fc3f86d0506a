/**
 * Alabdulmohsin et al. 2021 (Generalized LTH) on LeNet-300-100 / Fashion-MNIST: IMP on the
 * coefficients of the 8×8-block DCT against canonical IMP, level by level (same coefficient counts).
 * SGD, since Adam is not rotation-invariant (docs/fidelity.md).
 */
import { runLottery } from '../experiments/lottery.js';
import { series, sparsityChart } from './figures.js';
import { accuracy, datasetOf, IMP_EPOCHS, QUICK_MODEL, replicates } from './common.js';
import { pct, pctPm } from './stats.js';
import type { Outcome, Paper, ReproContext } from './types.js';

function run(ctx: ReproContext): Outcome {
  const levels = ctx.quick ? 2 : 7;
  const hparams = {
    dataset: datasetOf(ctx),
    model: { name: ctx.quick ? QUICK_MODEL : 'mnist_lenet_300_100' },
    // lth's schedule: the canonical chain is the same stored experiment as lth's θ0 chain.
    training: { trainSteps: ctx.quick ? '2ep' : IMP_EPOCHS, batchSize: ctx.quick ? 64 : 128, lr: 0.1 },
  };
  ctx.log('generalized-lth: canonical IMP and IMP in the DCT basis');
  const r = runLottery({
    store: ctx.store,
    hparams,
    plan: { levels, replicates: replicates(ctx), branches: ['basis:dct'], basisBlock: 8 },
    callbacks: ctx.callbacks,
    log: ctx.log,
  });
  const x = r.levels.map((l) => l.remaining);
  const canonical = r.levels.map(accuracy);
  const dct = r.levels.map((l, i) => (i === 0 ? canonical[0]! : accuracy(l.branches['basis:dct']!)));
  const last = levels;
  const better = r.levels.filter((_, i) => i > 0 && dct[i]!.mean >= canonical[i]!.mean).length;
  return {
    setting:
      `${hparams.model.name} on ${hparams.dataset.name}; SGD lr 0.1 batch ${hparams.training.batchSize}, ${hparams.training.trainSteps} per training (scaled down for CPU time, as in lth, whose canonical chain this is); ` +
      `IMP ${levels} levels of 20 % (output 10 %), rewound to θ0, in the canonical basis and on the coefficients of the 2-D DCT over 8×8 blocks of each weight matrix.`,
    tables: [
      {
        title: 'Test accuracy (%) by fraction of weights / coefficients remaining',
        columns: ['level', 'remaining', 'canonical ticket', 'DCT ticket'],
        rows: r.levels.map((l, i) => [
          String(l.level),
          pct(l.remaining),
          pctPm(canonical[i]!),
          i ? pctPm(dct[i]!) : '–',
        ]),
      },
    ],
    figures: [
      {
        name: 'generalized-lth-accuracy',
        chart: sparsityChart('generalized-lth', 'Tickets in the DCT basis vs the canonical basis', [
          series('canonical', x, canonical),
          series('DCT (8×8 blocks)', x, dct),
        ]),
      },
    ],
    checks: [
      {
        what: `at the sparsest level (${pct(x[last]!)} remaining) the DCT ticket (${pctPm(dct[last]!)}) is at least the canonical one (${pctPm(canonical[last]!)})`,
        holds: dct[last]!.mean >= canonical[last]!.mean,
      },
      {
        what: `the DCT ticket is at least the canonical one at ${better} of ${levels} levels (needs a majority)`,
        holds: better * 2 > levels,
      },
    ],
    runIds: [r.runId],
    notes: [
      'The paper gives no layout of its DCT; sprig uses 8×8 blocks for dense layers (docs/fidelity.md).',
    ],
  };
}

export const generalizedLth: Paper = {
  name: 'generalized-lth',
  title: 'A Generalized Lottery Ticket Hypothesis (Alabdulmohsin et al. 2021)',
  claim:
    'Lottery tickets exist in other bases than the canonical one, and in the DCT basis tickets reach matching accuracy with equal or fewer retained coefficients than canonical tickets.',
  run,
};

/**
 * Frankle & Carbin 2019 on LeNet-300-100 / Fashion-MNIST: IMP tickets (rewound to θ0, and to θ_k)
 * against the random re-initialisation and random-mask ablations at every level.
 */
import { runLottery } from '../experiments/lottery.js';
import { series, sparsityChart } from './figures.js';
import { accuracy, datasetOf, IMP_EPOCHS, QUICK_MODEL, replicates } from './common.js';
import { pct, pctPm } from './stats.js';
import type { Outcome, Paper, ReproContext } from './types.js';

function run(ctx: ReproContext): Outcome {
  const levels = ctx.quick ? 2 : 8;
  const base = {
    dataset: datasetOf(ctx),
    model: { name: ctx.quick ? QUICK_MODEL : 'mnist_lenet_300_100' },
    training: { trainSteps: ctx.quick ? '2ep' : IMP_EPOCHS, batchSize: ctx.quick ? 64 : 128, lr: 0.1 },
  };
  const plan = { levels, replicates: replicates(ctx), branches: ['reinit', 'random_mask'] };
  const lot = (rewind: string, p: object) =>
    runLottery({
      store: ctx.store,
      hparams: { ...base, pruning: { rewind } },
      plan: p,
      callbacks: ctx.callbacks,
      log: ctx.log,
    });
  ctx.log('lth: IMP rewound to θ0, with reinit and random-mask branches');
  const init = lot('init', plan);
  ctx.log('lth: IMP with weight rewinding to θ at 1 epoch');
  const rewound = lot('1ep', { levels, replicates: replicates(ctx) });
  const x = init.levels.map((l) => l.remaining);
  const ticket = init.levels.map(accuracy);
  const kRewind = rewound.levels.map(accuracy);
  const reinit = init.levels.map((l, i) => (i === 0 ? ticket[0]! : accuracy(l.branches.reinit!)));
  const randomMask = init.levels.map((l, i) => (i === 0 ? ticket[0]! : accuracy(l.branches.random_mask!)));
  const last = levels;
  const dense = ticket[0]!;
  const matching = init.levels
    .filter((_, i) => ticket[i]!.mean >= dense.mean - 0.005)
    .map((l) => l.remaining);
  const sparsestMatching = Math.min(...matching);
  return {
    setting:
      `${base.model.name} on ${base.dataset.name}; SGD lr 0.1 batch ${base.training.batchSize}, ${base.training.trainSteps} per training (the paper: 50 epochs; scaled down for CPU time); ` +
      `IMP ${levels} levels of 20 % (output layer 10 %, Frankle & Carbin's recipe); tickets rewound to θ0 and (second experiment) to θ at 1 epoch.`,
    tables: [
      {
        title: 'Test accuracy (%) by weights remaining',
        columns: ['level', 'remaining', 'ticket (θ0)', 'ticket (θ_1ep)', 'random reinit', 'random mask'],
        rows: init.levels.map((l, i) => [
          String(l.level),
          pct(l.remaining),
          pctPm(ticket[i]!),
          pctPm(kRewind[i]!),
          i ? pctPm(reinit[i]!) : '–',
          i ? pctPm(randomMask[i]!) : '–',
        ]),
      },
    ],
    figures: [
      {
        name: 'lth-accuracy',
        chart: sparsityChart('lth', 'IMP tickets vs ablations', [
          series('ticket (θ0)', x, ticket),
          series('ticket (θ_1ep)', x, kRewind),
          series('random reinit', x, reinit),
          series('random mask', x, randomMask),
        ]),
      },
    ],
    checks: [
      {
        what: `at the sparsest level (${pct(x[last]!)} remaining) the ticket (${pctPm(ticket[last]!)}) beats random reinit (${pctPm(reinit[last]!)})`,
        holds: ticket[last]!.mean > reinit[last]!.mean,
      },
      {
        what: `... and the random mask (${pctPm(randomMask[last]!)})`,
        holds: ticket[last]!.mean > randomMask[last]!.mean,
      },
      {
        what: `tickets stay within 0.5 pp of dense (${pctPm(dense)}) down to ${pct(sparsestMatching)} remaining (a pruned level, not only dense)`,
        holds: sparsestMatching < 1,
      },
    ],
    runIds: [init.runId, rewound.runId],
    notes: ['Accuracy at the final step, not at the early-stop iteration (docs/fidelity.md).'],
  };
}

export const lth: Paper = {
  name: 'lth',
  title: 'The Lottery Ticket Hypothesis (Frankle & Carbin 2019)',
  claim:
    'IMP finds winning tickets: sub-networks that, rewound to their initial weights, reach the dense accuracy down to small fractions of weights remaining, while the same sub-networks randomly re-initialised, or random masks, fall below it earlier.',
  run,
};

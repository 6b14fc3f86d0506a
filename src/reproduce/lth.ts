/**
 * Frankle & Carbin 2019 on LeNet-300-100 / Fashion-MNIST: IMP tickets (rewound to θ0, and to θ_k)
 * against the random re-initialisation and random-mask ablations at every level.
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
import { pct, pctPm } from './stats.js';
import type { Check, Outcome, Paper, ReproContext } from './types.js';

const ARMS = [
  { arm: 'ticket (θ0)', branch: '' },
  { arm: 'random reinit', branch: 'reinit' },
  { arm: 'random mask', branch: 'random_mask' },
];

function checks(init: LotteryResult[], last: number): Check[] {
  const at = (b: string) => perSeed(init, (r) => r.levels[last]!, b);
  const dense = perSeed(init, (r) => r.levels[0]!);
  const s = pct(init[0]!.levels[last]!.remaining);
  return [
    claim(
      `at the sparsest level (${s} remaining) the ticket beats random reinit (ticket − reinit)`,
      paired(at(''), at('reinit')),
    ),
    claim(`… and the random mask (ticket − random mask)`, paired(at(''), at('random_mask'))),
    claim(
      `at ${s} remaining the ticket is within 0.5 pp of dense or above (ticket − dense, margin −0.5 pp)`,
      paired(at(''), dense),
      {
        margin: -0.005,
      },
    ),
  ];
}

function run(ctx: ReproContext): Outcome {
  const levels = ctx.quick ? 2 : 8;
  const base = {
    dataset: datasetOf(ctx),
    model: { name: ctx.quick ? QUICK_MODEL : 'mnist_lenet_300_100' },
    training: { trainSteps: ctx.quick ? '2ep' : IMP_EPOCHS, batchSize: ctx.quick ? 64 : 128, lr: 0.1 },
  };
  const plan = { levels, branches: ['reinit', 'random_mask'] };
  ctx.log('lth: IMP rewound to θ0, with reinit and random-mask branches');
  const init = lotteryPerSeed(ctx, { ...base, pruning: { rewind: 'init' } }, plan);
  ctx.log('lth: IMP with weight rewinding to θ at 1 epoch');
  const rewound = lotteryPerSeed(ctx, { ...base, pruning: { rewind: '1ep' } }, { levels });
  const x = init[0]!.levels.map((l) => l.remaining);
  const lv = (rs: LotteryResult[], b = '') =>
    x.map((_, i) => accuracyOver(rs, (r) => r.levels[i]!, i === 0 ? '' : b));
  const [ticket, kRewind, reinit, randomMask] = [
    lv(init),
    lv(rewound),
    lv(init, 'reinit'),
    lv(init, 'random_mask'),
  ];
  const last = { tag: `level ${levels}`, point: (r: LotteryResult) => r.levels[levels]! };
  return {
    setting:
      `${base.model.name} on ${base.dataset.name}; SGD lr 0.1 batch ${base.training.batchSize}, ${base.training.trainSteps} per training (the paper: 50 epochs; scaled down for CPU time); ` +
      `IMP ${levels} levels of 20 % (output layer 10 %, Frankle & Carbin's recipe); tickets rewound to θ0 and (second experiment) to θ at 1 epoch.`,
    tables: [
      {
        title: 'Test accuracy (%) by weights remaining',
        columns: ['level', 'remaining', 'ticket (θ0)', 'ticket (θ_1ep)', 'random reinit', 'random mask'],
        rows: x.map((rem, i) => [
          String(i),
          pct(rem),
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
    checks: checks(init, levels),
    arms: [
      ...lotteryArms(ctx, init, plan, last, ARMS),
      ...lotteryArms(ctx, rewound, { levels }, last, [{ arm: 'ticket (θ_1ep)', branch: '' }]),
    ],
    runIds: [...init, ...rewound].map((r) => r.runId),
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

/**
 * sprig's main job as an experiment: on one training recipe, the dense network, GMP, static, SET and
 * RigL at 90 % sparsity (ERK), and a lottery ticket pruned one-shot to 90 %, each a stored and
 * cached run. Every row is the training of that row's network: its wall time, and its whole-run
 * FLOPs against dense training on the base schedule. The lottery row is the ticket's retraining
 * from θ0; finding the ticket first trains the dense network (`LOTTERY_FINDING_FRACTION` more).
 */
import type { RunStore } from '../store/store.js';
import { denseForwardFlops, sparseForwardFlops } from '../sparsity/index.js';
import type { TrainHparams } from './hparams.js';
import { setup } from './setup.js';
import type { RunSpec } from './run.js';
import { train } from './kinds/train.js';
import { planDst, runDst, type DstResult } from './dst.js';
import { runLottery } from './lottery.js';
import type { Logging } from './run-observers.js';

/** The recipe of the main job: LeNet-300-100 on Fashion-MNIST, SGD momentum + cosine, 10 epochs. */
export const FLAGSHIP_DENSE = {
  dataset: { name: 'fashion_mnist' },
  model: { name: 'mnist_lenet_300_100' },
  training: {
    optimizer: 'sgd',
    lr: 0.05,
    momentum: 0.9,
    weightDecay: 5e-4,
    lrSchedule: 'cosine',
    batchSize: 128,
    trainSteps: '10ep',
  },
};

/** The lottery row: a ticket pruned one-shot (per layer) to 90 % from the trained dense net, rewound to θ0. */
export const FLAGSHIP_LOTTERY = { sparsity: 0.9 };

/** The sparse rows of the flagship table: RigL against its baselines at 90 % sparsity (ERK), same steps. */
export const FLAGSHIP_METHODS = ['gmp', 'static', 'set', 'rigl'] as const;
export const FLAGSHIP_DST = { sparsity: 0.9, distribution: 'erk' };

export type FlagshipRow = Pick<
  DstResult,
  | 'runId'
  | 'runDir'
  | 'testAccuracy'
  | 'testLoss'
  | 'steps'
  | 'wallSeconds'
  | 'cached'
  | 'flops'
  | 'densities'
> & {
  method: string;
  sparsity: number;
};

/** Every input checked (all plans made) before the first run; the data is loaded once. */
export function planFlagship(hp: TrainHparams) {
  const sparse = FLAGSHIP_METHODS.map((method) => ({ ...hp, dst: { ...FLAGSHIP_DST, method } }));
  const first = planDst(sparse[0]!);
  const plans = [first, ...sparse.slice(1).map((h) => planDst(h, first.setup.dataset))];
  return { plans, dense: setup(hp, first.setup.dataset) };
}

/** Trains (or reads back) every row: dense, the sparse methods, then the lottery ticket. */
export function runFlagship(
  hp: TrainHparams,
  o: {
    store: RunStore;
    callbacks?: RunSpec['callbacks'];
    planned?: ReturnType<typeof planFlagship>;
  } & Logging,
): FlagshipRow[] {
  const { plans, dense: s } = o.planned ?? planFlagship(hp);
  const { store, callbacks: cb } = o;
  const rows: FlagshipRow[] = [];
  // the dense row is the plain `sprig train` run of the same recipe (shared cache)
  const { history: _h, ...d } = train.run(hp, {
    store,
    callbacks: cb,
    metricsEvery: o.metricsEvery,
    dataset: s.dataset,
  });
  const fD = denseForwardFlops(s.model.specs);
  const denseDensities = Object.fromEntries(s.model.specs.filter((x) => x.prunable).map((x) => [x.name, 1]));
  rows.push({
    method: 'dense',
    sparsity: 0,
    ...d,
    flops: {
      trainingPerStep: 3 * fD,
      trainingPerStepFraction: 1,
      trainingFraction: 1,
      inference: fD,
      inferenceFraction: 1,
    },
    densities: denseDensities,
  });
  for (const plan of plans) {
    const r = runDst({ store, plan, callbacks: cb, label: plan.method, metricsEvery: o.metricsEvery });
    rows.push({
      method: r.method,
      sparsity: 1 - r.sparsity.density,
      runId: r.runId,
      runDir: r.runDir,
      testAccuracy: r.testAccuracy,
      testLoss: r.testLoss,
      steps: r.steps,
      wallSeconds: r.wallSeconds,
      cached: r.cached,
      flops: r.flops,
      densities: r.densities,
    });
  }
  rows.push(lotteryRow(hp, s, store, cb, o.metricsEvery));
  return rows;
}

/** The ticket's training FLOPs exclude finding it: one dense training of the base length more. */
export const LOTTERY_FINDING_FRACTION = 1;

/** The lottery row: the one-shot ticket retrained from θ0 (its mask from the trained dense net). */
function lotteryRow(
  hp: TrainHparams,
  s: ReturnType<typeof setup>,
  store: RunStore,
  callbacks: RunSpec['callbacks'],
  metricsEvery: Logging['metricsEvery'],
): FlagshipRow {
  const lot = runLottery({
    store,
    hparams: hp,
    plan: { levels: 0, oneShot: [FLAGSHIP_LOTTERY.sparsity] },
    callbacks,
    dataset: s.dataset,
    metricsEvery,
  });
  const ticket = lot.oneShot[0]!;
  const prunable = s.model.specs.filter((x) => x.prunable);
  const densities = Object.fromEntries(prunable.map((x) => [x.name, ticket.remaining]));
  const forwardDense = denseForwardFlops(s.model.specs);
  const forwardTicket = sparseForwardFlops(s.model.specs, new Map(Object.entries(densities)));
  return {
    method: 'lottery',
    sparsity: 1 - ticket.remaining,
    runId: lot.runId,
    runDir: lot.runDir,
    testAccuracy: ticket.testAccuracy,
    testLoss: NaN,
    steps: s.totalSteps,
    wallSeconds: ticket.wallSeconds ?? NaN,
    cached: false,
    flops: {
      trainingPerStep: 3 * forwardTicket,
      trainingPerStepFraction: forwardTicket / forwardDense,
      trainingFraction: forwardTicket / forwardDense,
      inference: forwardTicket,
      inferenceFraction: forwardTicket / forwardDense,
    },
    densities,
  };
}

import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import { hashedRunId, trainHparamsSchema, validate } from '../experiments/hparams.js';
import { setup } from '../experiments/setup.js';
import { runTraining } from '../experiments/run.js';
import { planDst, runDst, type DstResult } from '../experiments/dst.js';
import { denseForwardFlops, sparseForwardFlops } from '../sparsity/index.js';
import { runLottery } from '../experiments/lottery.js';
import { engineStatus } from '../engine/index.js';
import type { CommonOptions } from './flags.js';
import { addExperimentFlags, hparamsFromFlags } from './schema-flags.js';
import { progress } from './progress.js';
import { emit, pct, table } from './output.js';

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

type Row = Pick<
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

export function register(program: Command): void {
  addExperimentFlags(
    program
      .command('flagship')
      .description(
        "sprig's main job: dense, GMP, static, SET, RigL and a lottery ticket at 90 % sparsity on LeNet-300-100 / Fashion-MNIST, stored and cached",
      ),
    'train',
    FLAGSHIP_DENSE,
  ).action((o: CommonOptions) => {
    const hp = validate(trainHparamsSchema, hparamsFromFlags('train', o, FLAGSHIP_DENSE));
    const sparse = FLAGSHIP_METHODS.map((method) => ({ ...hp, dst: { ...FLAGSHIP_DST, method } }));
    // every input checked before the first run; the data is loaded once
    const first = planDst(sparse[0]!);
    const plans = [first, ...sparse.slice(1).map((h) => planDst(h, first.setup.dataset))];
    const store = new RunStore(o.root);
    const s = setup(hp, plans[0]!.setup.dataset);
    if (!o.json)
      process.stderr.write(
        `sprig flagship: ${hp.model.name} on ${s.dataset.name}, ${s.totalSteps} iterations per method (engine: ${engineStatus().engine})\n`,
      );
    const cb = progress({ quiet: o.quiet });
    const rows: Row[] = [];
    try {
      // the dense row is the plain `sprig train` run of the same recipe (shared cache)
      const runId = hashedRunId('train', trainHparamsSchema, hp);
      const {
        trained: _t,
        history: _h,
        ...d
      } = runTraining({
        store,
        runId,
        kind: 'train',
        hparams: hp,
        options: s.options(),
        callbacks: cb,
        label: 'dense',
      });
      const fD = denseForwardFlops(s.model.specs);
      const denseDensities = Object.fromEntries(
        s.model.specs.filter((x) => x.prunable).map((x) => [x.name, 1]),
      );
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
      sparse.forEach((h, i) => {
        const r = runDst({ store, plan: plans[i]!, callbacks: cb, label: h.dst.method });
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
      });
      // Lottery ticket: dense training (level 0) then retraining the ticket from θ0, so 1 + density of
      // dense training cost.
      const t0 = performance.now();
      const lot = runLottery({
        store,
        hparams: hp,
        plan: { levels: 0, oneShot: [FLAGSHIP_LOTTERY.sparsity] },
        callbacks: cb,
        dataset: s.dataset,
      });
      const point = lot.oneShot[0]!;
      const prunable = s.model.specs.filter((x) => x.prunable);
      const densities = Object.fromEntries(prunable.map((x) => [x.name, point.remaining]));
      const fS = sparseForwardFlops(s.model.specs, new Map(Object.entries(densities)));
      rows.push({
        method: 'lottery',
        sparsity: 1 - point.remaining,
        runId: lot.runId,
        runDir: lot.runDir,
        testAccuracy: point.testAccuracy,
        testLoss: NaN,
        steps: 2 * s.totalSteps,
        wallSeconds: (performance.now() - t0) / 1000,
        cached: false,
        flops: {
          // two trainings of the base length: per step their average, over the run dense + ticket
          trainingPerStep: (3 * (fD + fS)) / 2,
          trainingPerStepFraction: (1 + fS / fD) / 2,
          trainingFraction: 1 + fS / fD,
          inference: fS,
          inferenceFraction: fS / fD,
        },
        densities,
      });
    } finally {
      store.close();
    }
    emit(o.json, Object.fromEntries(rows.map((r) => [r.method, r])), () =>
      table(
        ['method', 'sparsity', 'test accuracy', 'train FLOPs (run)', 'test FLOPs', 'seconds', 'run'],
        rows.map((r) => [
          r.method,
          r.sparsity.toFixed(2),
          pct(r.testAccuracy),
          `${r.flops.trainingFraction.toFixed(3)}×`,
          `${r.flops.inferenceFraction.toFixed(3)}×`,
          r.cached ? 'stored' : r.wallSeconds.toFixed(1),
          r.runId,
        ]),
      ),
    );
  });
}

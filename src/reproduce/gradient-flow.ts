/**
 * Evci et al. 2022 (gradient flow) on LeNet-5 / Fashion-MNIST at 95 % sparsity: lottery tickets
 * against scratch training of the same mask, RigL and the pruning solution — gradient norm, distance
 * and linear path to the pruning solution, and prediction disagreement with it.
 */
import {
  gradflowHparamsSchema,
  runGradflow,
  type GradflowResult,
  type RunReport,
} from '../experiments/gradflow.js';
import { validate } from '../experiments/hparams.js';
import { chart, series } from './figures.js';
import { datasetOf, QUICK_MODEL } from './common.js';
import { measure, numPm, pctPm } from './stats.js';
import type { Outcome, Paper, ReproContext } from './types.js';

const RUNS = ['scratch', 'scratch+', 'rigl', 'lottery', 'pruned'] as const;

function run(ctx: ReproContext): Outcome {
  const results: GradflowResult[] = ctx.seeds.map((seed) => {
    ctx.log(`gradient-flow: seed ${seed}`);
    const hp = validate(gradflowHparamsSchema, {
      dataset: datasetOf(ctx),
      model: { name: ctx.quick ? QUICK_MODEL : 'mnist_lenet5' },
      training: {
        // 5 epochs: five LeNet-5 runs per seed with their measurements in ~4 idle minutes for three seeds.
        trainSteps: ctx.quick ? '3ep' : '5ep',
        batchSize: ctx.quick ? 32 : 128,
        lr: 0.05,
        momentum: 0.9,
        lrSchedule: 'cosine',
        seed,
      },
      gradflow: {
        sparsity: ctx.quick ? 0.8 : 0.95,
        runs: [...RUNS],
        ...(ctx.quick
          ? { logEvery: '4it', gradBatch: 64, deltaT: 4, gmpFrequency: 4, interpolationPoints: 5 }
          : { logEvery: '200it', interpolationPoints: 11 }),
      },
    });
    return runGradflow(hp, { store: ctx.store, callbacks: ctx.callbacks, log: ctx.log });
  });
  const of = (run: string, f: (r: RunReport) => number) =>
    measure(results.map((g) => f(g.runs.find((r) => r.run === run)!)));
  const meanGrad = (r: RunReport) => r.gradNorm.total.reduce((a, b) => a + b, 0) / r.gradNorm.total.length;
  const rows = RUNS.map((run) => ({
    run,
    acc: of(run, (r) => r.testAccuracy),
    grad0: of(run, (r) => r.gradNormAtInit),
    grad: of(run, meanGrad),
    dist: of(run, (r) => r.distanceToPruned),
    dis: of(run, (r) => r.disagreementWithPruned),
    barrier: of(run, (r) => r.interpolationToPruned.barrier),
  }));
  const get = (run: string) => rows.find((r) => r.run === run)!;
  const lt = get('lottery');
  const sc = get('scratch');
  const g0 = results[0]!;
  const curve = (run: string) => g0.runs.find((r) => r.run === run)!.gradNorm;
  return {
    setting:
      `${ctx.quick ? QUICK_MODEL : 'mnist_lenet5'} on ${datasetOf(ctx).name} at ${ctx.quick ? 80 : 95} % sparsity (uniform over layers); SGD momentum 0.9 lr 0.05 cosine, ${ctx.quick ? '3' : '5'} epochs (the paper: full ImageNet/CIFAR schedules; scaled down for CPU time); ` +
      `pruning solution: gradual magnitude pruning from 25 % to 60 % of training; lottery = its mask with θ0; scratch = a random mask with a fresh dense init, scratch+ with the sparse (unit-scaled) init; RigL from scratch's start.`,
    tables: [
      {
        title: 'Per run, mean ± std over seeds',
        columns: [
          'run',
          'test accuracy',
          'grad norm at init',
          'mean grad norm',
          '‖θ − θ_pruned‖',
          'disagreement with pruned',
          'error barrier to pruned',
        ],
        rows: rows.map((r) => [
          r.run,
          pctPm(r.acc),
          numPm(r.grad0, 3),
          numPm(r.grad, 3),
          numPm(r.dist, 2),
          numPm(r.dis),
          numPm(r.barrier),
        ]),
      },
    ],
    figures: [
      {
        name: 'gradient-flow-gradnorm',
        chart: chart(
          'gradflow',
          `Gradient norm during training (seed ${ctx.seeds[0]})`,
          'step',
          '‖m ⊙ ∇L‖',
          ['scratch', 'scratch+', 'rigl', 'lottery'].map((run) => ({
            label: run,
            x: curve(run).steps,
            y: curve(run).total,
          })),
        ),
      },
      {
        name: 'gradient-flow-pruned',
        chart: chart(
          'gradflow-pruned',
          'Disagreement with the pruning solution (x = run index: 0 scratch, 1 scratch+, 2 rigl, 3 lottery)',
          'run',
          'disagreement',
          [
            series(
              'disagreement with pruned',
              [0, 1, 2, 3],
              ['scratch', 'scratch+', 'rigl', 'lottery'].map((r) => get(r).dis),
            ),
          ],
        ),
      },
    ],
    checks: [
      {
        what: `the lottery ticket disagrees less with the pruning solution (${numPm(lt.dis)}) than scratch does (${numPm(sc.dis)})`,
        holds: lt.dis.mean < sc.dis.mean,
      },
      {
        what: `the lottery ticket ends nearer the pruning solution (‖θ − θ_pruned‖ ${numPm(lt.dist, 2)}) than scratch (${numPm(sc.dist, 2)})`,
        holds: lt.dist.mean < sc.dist.mean,
      },
      {
        what: `the linear path to the pruning solution has a lower error barrier from the lottery ticket (${numPm(lt.barrier)}) than from scratch (${numPm(sc.barrier)})`,
        holds: lt.barrier.mean <= sc.barrier.mean,
      },
      {
        what: `lottery tickets do not have better gradient flow at init: their gradient norm (${numPm(lt.grad0, 3)}) is not above twice scratch's (${numPm(sc.grad0, 3)})`,
        holds: lt.grad0.mean <= 2 * sc.grad0.mean,
      },
    ],
    runIds: results.map((r) => r.runId),
    notes: [
      "Seed ensembles of one method (the paper's tables) are not computed; disagreement is with the pruning solution of the same seed.",
    ],
  };
}

export const gradientFlow: Paper = {
  name: 'gradient-flow',
  title: 'Gradient Flow in Sparse Neural Networks and How Lottery Tickets Win (Evci et al. 2022)',
  claim:
    'Lottery tickets do not win by better gradient flow; they re-learn the pruning solution they came from: they end close to it, in its basin (no barrier on the linear path) and agree with its predictions, unlike the same mask trained from scratch.',
  run,
};

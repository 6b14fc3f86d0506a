/**
 * Evci et al. 2022 (gradient flow) on LeNet-5 / Fashion-MNIST at 95 % sparsity: the lottery ticket
 * against scratch training of the same mask (a fresh init, as rigl_tf2's scratch config), a random
 * mask, RigL and the pruning solution: gradient norm, distance and linear path to the pruning
 * solution, and prediction disagreement with it.
 */
import {
  gradflowHparamsSchema,
  runGradflow,
  type GradflowHparams,
  type GradflowResult,
  type RunReport,
} from '../experiments/gradflow.js';
import { validate } from '../experiments/hparams.js';
import { claim, paired } from './claims.js';
import { chart, series } from './figures.js';
import { datasetOf, QUICK_MODEL } from './common.js';
import { measure, numPm, pctPm } from './stats.js';
import type { Arm, Check, Measure, Outcome, Paper, ReproContext } from './types.js';

const RUNS = ['scratch', 'scratch+', 'random_mask', 'rigl', 'lottery', 'pruned'] as const;
type Run = (typeof RUNS)[number];
/** The runs drawn in the figures: every one but the pruning solution itself. */
const DRAWN = RUNS.filter((r) => r !== 'pruned');

/** rigl_tf2's LeNet-5 recipe (the `sprig gradflow` defaults) at 5 epochs, not 25, for CPU time. */
function hparamsOf(ctx: ReproContext, seed: number): GradflowHparams {
  return validate(gradflowHparamsSchema, {
    dataset: datasetOf(ctx),
    model: { name: ctx.quick ? QUICK_MODEL : 'mnist_lenet5' },
    training: {
      trainSteps: ctx.quick ? '3ep' : '5ep',
      batchSize: ctx.quick ? 32 : 128,
      lr: 0.05,
      momentum: 0.9,
      weightDecay: 5e-4,
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
}

const meanGrad = (r: RunReport) => r.gradNorm.total.reduce((a, b) => a + b, 0) / r.gradNorm.total.length;
const MEASURES = {
  acc: (r: RunReport) => r.testAccuracy,
  grad0: (r: RunReport) => r.gradNormAtInit,
  grad: meanGrad,
  dist: (r: RunReport) => r.distanceToPruned,
  dis: (r: RunReport) => r.disagreementWithPruned,
  barrier: (r: RunReport) => r.interpolationToPruned.barrier,
};
type MeasureName = keyof typeof MEASURES;

/** Per seed, one measure of one run. */
const perSeed = (results: GradflowResult[], run: Run, m: MeasureName) =>
  results.map((g) => MEASURES[m](g.runs.find((r) => r.run === run)!));

/** The paper's comparisons of the lottery ticket with scratch (same mask, fresh init), paired over seeds. */
function checks(results: GradflowResult[]): Check[] {
  const vs = (m: MeasureName) => paired(perSeed(results, 'scratch', m), perSeed(results, 'lottery', m));
  return [
    claim(
      'the lottery ticket disagrees less with the pruning solution than scratch does (scratch − lottery)',
      vs('dis'),
      { pp: false },
    ),
    claim(
      'the lottery ticket ends nearer the pruning solution, ‖θ − θ_pruned‖ (scratch − lottery)',
      vs('dist'),
      { pp: false },
    ),
    claim(
      'the linear path to the pruning solution has a lower error barrier from the lottery ticket (scratch − lottery)',
      vs('barrier'),
      { pp: false },
    ),
    // "Not better" needs a tolerance: at most 10 % above scratch's norm, relative per seed.
    claim(
      'lottery tickets do not improve gradient flow: their mean gradient norm over training is at most 10 % above scratch’s ((scratch − lottery) / scratch, margin −0.1)',
      vs('grad').map((d, i) => d / perSeed(results, 'scratch', 'grad')[i]!),
      { pp: false, margin: -0.1 },
    ),
  ];
}

function table(results: GradflowResult[]) {
  const m = (run: Run, name: MeasureName): Measure => measure(perSeed(results, run, name));
  return {
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
    rows: RUNS.map((run) => [
      run,
      pctPm(m(run, 'acc')),
      numPm(m(run, 'grad0'), 3),
      numPm(m(run, 'grad'), 3),
      numPm(m(run, 'dist'), 2),
      numPm(m(run, 'dis')),
      numPm(m(run, 'barrier')),
    ]),
  };
}

function figures(results: GradflowResult[], seed: number): Outcome['figures'] {
  const curve = (run: Run) => results[0]!.runs.find((r) => r.run === run)!.gradNorm;
  const dis = DRAWN.map((run) => measure(perSeed(results, run, 'dis')));
  return [
    {
      name: 'gradient-flow-gradnorm',
      chart: chart(
        'gradflow',
        `Gradient norm during training (seed ${seed})`,
        'step',
        '‖m ⊙ ∇L‖',
        DRAWN.map((run) => ({ label: run, x: curve(run).steps, y: curve(run).total })),
      ),
    },
    {
      name: 'gradient-flow-pruned',
      chart: chart(
        'gradflow-pruned',
        `Disagreement with the pruning solution (x = run: ${DRAWN.map((r, i) => `${i} ${r}`).join(', ')})`,
        'run',
        'disagreement',
        [
          series(
            'disagreement with pruned',
            DRAWN.map((_, i) => i),
            dis,
          ),
        ],
      ),
    },
  ];
}

/** Every run of every seed, with its mask's fingerprint: lottery, scratch and scratch+ share the pruning solution's. */
function arms(ctx: ReproContext, results: GradflowResult[], hps: GradflowHparams[]): Arm[] {
  return results.flatMap((g, i) =>
    g.runs.map((r) => ({
      arm: r.run,
      seed: ctx.seeds[i]!,
      runId: g.runId,
      kind: 'gradflow' as const,
      groups: hps[i]!,
      maskSha256: r.maskSha256,
    })),
  );
}

function run(ctx: ReproContext): Outcome {
  const hps = ctx.seeds.map((seed) => hparamsOf(ctx, seed));
  const results = hps.map((hp) => {
    ctx.log(`gradient-flow: seed ${hp.training.seed}`);
    return runGradflow(hp, { store: ctx.store, callbacks: ctx.callbacks, log: ctx.log });
  });
  const hp = hps[0]!;
  return {
    setting:
      `${hp.model.name} on ${hp.dataset.name} at ${hp.gradflow.sparsity * 100} % sparsity (uniform over layers); SGD momentum 0.9 lr 0.05 cosine, weight decay 5e-4, ${hp.training.trainSteps} (rigl_tf2: 25 epochs; scaled down for CPU time); ` +
      `pruning solution: gradual magnitude pruning from 25 % to 60 % of training; lottery = its mask with θ0; scratch = its mask with a fresh dense init, scratch+ with the sparse (unit-scaled) init; random_mask = a random mask with a fresh dense init, RigL from that start.`,
    tables: [table(results)],
    figures: figures(results, ctx.seeds[0]!),
    checks: checks(results),
    arms: arms(ctx, results, hps),
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

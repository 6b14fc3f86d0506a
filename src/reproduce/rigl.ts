/**
 * Evci et al. 2020 (RigL) and its reproducibility study on LeNet-300-100 / Fashion-MNIST at 90 %
 * sparsity: the orderings Static < SET ≤ RigL, ERK ≥ uniform for RigL, and RigL 2× against
 * gradual magnitude pruning, each method over the seeds.
 */
import { runDst, type DstResult } from '../experiments/dst.js';
import { chart, series } from './figures.js';
import { datasetOf, QUICK_MODEL } from './common.js';
import { measure, pct, pctPm } from './stats.js';
import type { Measure, Outcome, Paper, ReproContext } from './types.js';

interface Config {
  label: string;
  dst: Record<string, unknown>;
}

const CONFIGS: Config[] = [
  { label: 'Small-Dense', dst: { method: 'small_dense' } },
  { label: 'Static (ERK)', dst: { method: 'static' } },
  { label: 'SET (ERK)', dst: { method: 'set' } },
  { label: 'RigL (uniform)', dst: { method: 'rigl', distribution: 'uniform', denseFirstLayer: false } },
  { label: 'RigL (ERK)', dst: { method: 'rigl' } },
  { label: 'Pruning (GMP)', dst: { method: 'gmp' } },
  { label: 'RigL 2× (ERK)', dst: { method: 'rigl', multiplier: 2 } },
];

function run(ctx: ReproContext): Outcome {
  const sparsity = 0.9;
  const base = {
    dataset: datasetOf(ctx),
    model: { name: ctx.quick ? QUICK_MODEL : 'mnist_lenet_300_100' },
    training: {
      trainSteps: ctx.quick ? '3ep' : '10ep',
      batchSize: ctx.quick ? 64 : 128,
      lr: 0.1,
      momentum: 0.9,
    },
  };
  const deltaT = ctx.quick ? 4 : 100;
  const acc = new Map<string, Measure>();
  const flops = new Map<string, number>();
  const runIds: string[] = [];
  for (const c of CONFIGS) {
    const rs: DstResult[] = ctx.seeds.map((seed) => {
      ctx.log(`rigl: ${c.label}, seed ${seed}`);
      return runDst({
        store: ctx.store,
        hparams: {
          ...base,
          training: { ...base.training, seed },
          dst: { sparsity, distribution: 'erk', deltaT, ...c.dst },
        },
        callbacks: ctx.callbacks,
        label: `${c.label} s${seed}`,
      });
    });
    runIds.push(...rs.map((r) => r.runId));
    acc.set(c.label, measure(rs.map((r) => r.testAccuracy)));
    flops.set(c.label, rs[0]!.flops.inferenceFraction);
  }
  const a = (l: string) => acc.get(l)!;
  const order = (lo: string, hi: string, strict = false) => ({
    what: `${lo} (${pctPm(a(lo))}) ${strict ? '<' : '≤'} ${hi} (${pctPm(a(hi))})`,
    holds: strict ? a(lo).mean < a(hi).mean : a(lo).mean <= a(hi).mean,
  });
  return {
    setting:
      `${base.model.name} on ${base.dataset.name} at ${pct(sparsity, 0)} sparsity; SGD momentum 0.9 lr 0.1 batch ${base.training.batchSize}, ${base.training.trainSteps} (2×: twice the steps); ` +
      `RigL/SET ΔT = ${deltaT}, α = 0.3 cosine, T_end = 75 %; ERK unless stated; uniform here makes every layer sparse (RigL keeps the first one dense, which on an MLP holds most weights).`,
    tables: [
      {
        title: 'Test accuracy (%) and inference FLOPs (fraction of dense)',
        columns: ['method', 'test accuracy', 'inference FLOPs'],
        rows: CONFIGS.map((c) => [c.label, pctPm(a(c.label)), flops.get(c.label)!.toFixed(3)]),
      },
    ],
    figures: [
      {
        name: 'rigl-accuracy',
        chart: chart(
          'rigl',
          `Test accuracy at ${pct(sparsity, 0)} sparsity: ${CONFIGS.map((c, i) => `${i} ${c.label}`).join(', ')}`,
          'method (index in the table)',
          'test accuracy',
          [
            series(
              'test accuracy',
              CONFIGS.map((_, i) => i),
              CONFIGS.map((c) => a(c.label)),
            ),
          ],
        ),
      },
    ],
    checks: [
      order('Static (ERK)', 'SET (ERK)', true),
      order('SET (ERK)', 'RigL (ERK)'),
      order('RigL (uniform)', 'RigL (ERK)'),
      {
        what: `RigL 2× (ERK) (${pctPm(a('RigL 2× (ERK)'))}) is within 0.5 pp of or above pruning (${pctPm(a('Pruning (GMP)'))})`,
        holds: a('RigL 2× (ERK)').mean >= a('Pruning (GMP)').mean - 0.005,
      },
    ],
    runIds,
    notes: [],
  };
}

export const rigl: Paper = {
  name: 'rigl',
  title: 'Rigging the Lottery (RigL, Evci et al. 2020) and its reproducibility study',
  claim:
    'At a fixed sparsity, dynamic sparse training orders as Static < SET ≤ RigL < RigL (ERK), and RigL trained twice as long matches gradual magnitude pruning.',
  run,
};

import { Command, Option } from 'commander';
import { RunStore } from '../store/store.js';
import { compareDst, planDst, runDst, type ComparisonRow, type DstResult } from '../experiments/dst.js';
import { methodNames } from '../algorithms/index.js';
import { decayNames, distributionNames } from '../sparsity/index.js';
import { engineStatus } from '../engine/index.js';
import { SprigError } from '../util/errors.js';
import { num, list, addTrainingFlags, hparamsFromFlags, type CommonOptions } from './flags.js';
import { FLAGSHIP_DENSE } from './flagship.js';
import { progress } from './progress.js';
import { emit, pct, table } from './output.js';

/** A point in training: a fraction of training (0.75) or a step ('30ep', '5000it'). */
const point = (v: string) => (/^\s*[\d.]+\s*$/.test(v) ? num(v) : v);
const ints = (v: string) =>
  list(v).map((s) => {
    const x = Number(s);
    if (!Number.isInteger(x) || x < 0)
      throw new SprigError(`seed '${s}' is not a whole number ≥ 0`, 'pass e.g. --seeds 0,1,2');
    return x;
  });

/** Flag → field of the `dst` group. */
const DST_FLAGS = {
  method: 'method',
  sparsity: 'sparsity',
  distribution: 'distribution',
  denseFirstLayer: 'denseFirstLayer',
  powerScale: 'powerScale',
  deltaT: 'deltaT',
  dropFraction: 'dropFraction',
  dropDecay: 'dropDecay',
  decayPower: 'decayPower',
  tEnd: 'tEnd',
  init: 'init',
  multiplier: 'multiplier',
  gmpBegin: 'gmpBegin',
  gmpEnd: 'gmpEnd',
  gmpFrequency: 'gmpFrequency',
  gmpInitialSparsity: 'gmpInitialSparsity',
} as const;

export function addDstFlags(cmd: Command): Command {
  return cmd
    .option('--method <name>', `method: ${methodNames.join(', ')} (default rigl)`)
    .option(
      '--methods <list>',
      'compare several methods, e.g. dense,static,set,rigl (one table, mean ± std over --seeds)',
      list,
    )
    .option('--seeds <list>', 'seeds for the comparison, e.g. 0,1,2', ints)
    .option('--sparsity <s>', 'target sparsity S in [0, 1) (default 0.9)', num)
    .option('--distribution <name>', `per-layer sparsity: ${distributionNames.join(', ')} (default erk)`)
    .option('--no-dense-first-layer', 'uniform: make the first layer sparse too (RigL keeps it dense)')
    .option('--power-scale <k>', 'ERK power scale (default 1)', num)
    .option('--delta-t <n>', 'ΔT: steps between mask updates (default 100)', num)
    .option('--drop-fraction <a>', 'α: drop fraction at the first update (default 0.3)', num)
    .addOption(
      new Option('--drop-decay <name>', 'drop-fraction decay (default cosine)').choices([...decayNames]),
    )
    .option('--decay-power <k>', 'exponent of the inverse-power decay (default 1)', num)
    .option(
      '--t-end <t>',
      "T_end: last mask update, a fraction of training or a step such as '8ep' (default 0.75)",
      point,
    )
    .option(
      '--multiplier <M>',
      "RigL's M×: multiplies training steps, LR milestones and T_end (default 1)",
      num,
    )
    .option('--gmp-begin <t>', 'GMP: first pruning step, fraction or step (default 0.1)', point)
    .option('--gmp-end <t>', 'GMP: last pruning step, fraction or step (default 0.75)', point)
    .option('--gmp-frequency <n>', 'GMP: steps between pruning steps (default ΔT)', num)
    .option('--gmp-initial-sparsity <s>', 'GMP: sparsity at the first pruning step (default 0)', num);
}

/** Hyperparameters from config + flags, with the flagship recipe as the training default. */
export function dstHparamsFromFlags(o: CommonOptions): Record<string, Record<string, unknown>> {
  const hp = hparamsFromFlags(o, FLAGSHIP_DENSE);
  const dst: Record<string, unknown> = { ...((hp.dst as object) ?? {}) };
  for (const [k, flag] of Object.entries(DST_FLAGS)) {
    const v = o[flag];
    // commander sets denseFirstLayer to true unless --no-dense-first-layer; only a false is an explicit choice
    if (flag === 'init' && (v === 'fresh' || v === 'from-model')) continue; // the model's init (flags.ts)
    if (flag === 'denseFirstLayer' ? v === false : v !== undefined) dst[k] = v;
  }
  return { ...hp, dst };
}

export function densityTable(r: DstResult): string {
  return table(
    ['layer', 'shape', 'active', 'density'],
    r.sparsity.layers.map((l) => [
      l.name,
      l.shape.join('×'),
      `${l.active.toLocaleString('en')}/${l.total.toLocaleString('en')}`,
      l.density.toFixed(4),
    ]),
  );
}

const flopsText = (f: DstResult['flops']) =>
  `training ${f.trainingPerExample.toExponential(3)} FLOPs/example/step (${f.trainingFraction.toFixed(3)}× dense), inference ${f.inference.toExponential(3)} (${f.inferenceFraction.toFixed(3)}× dense)`;

export function comparisonTable(rows: ComparisonRow[]): string {
  return table(
    ['method', 'model', 'seeds', 'test accuracy', 'train FLOPs', 'test FLOPs', 'sparsity'],
    rows.map((r) => [
      r.method,
      r.runs[0]!.model,
      r.n,
      `${pct(r.mean)} ± ${(r.std * 100).toFixed(2)}`,
      `${r.flops.trainingFraction.toFixed(3)}×`,
      `${r.flops.inferenceFraction.toFixed(3)}×`,
      (1 - r.runs[0]!.sparsity.density).toFixed(3),
    ]),
  );
}

/** The JSON of one comparison row: accuracy statistics, FLOPs and the runs behind them. */
export function rowJson(r: ComparisonRow) {
  return {
    method: r.method,
    model: r.runs[0]!.model,
    n: r.n,
    testAccuracy: { mean: r.mean, std: r.std },
    flops: r.flops,
    densities: r.runs[0]!.densities,
    runs: r.runs.map((x) => ({
      runId: x.runId,
      runDir: x.runDir,
      testAccuracy: x.testAccuracy,
      wallSeconds: x.wallSeconds,
      cached: x.cached,
    })),
  };
}

export function register(program: Command): void {
  addDstFlags(
    addTrainingFlags(
      program
        .command('dst')
        .description(
          'dynamic sparse training (RigL, SET, SNFS, static, SNIP, GMP) and baselines; stored and cached by hyperparameters',
        ),
    ),
  ).action((o: CommonOptions) => {
    const hp = dstHparamsFromFlags(o);
    const store = new RunStore(o.root);
    try {
      if (o.methods || o.seeds) {
        const methods = (o.methods as string[] | undefined) ?? [String(hp.dst!.method ?? 'rigl')];
        const seeds = (o.seeds as number[] | undefined) ?? [Number(hp.training!.seed ?? 0)];
        if (!o.json && !o.quiet)
          process.stderr.write(
            `sprig dst: ${methods.join(', ')} × seeds ${seeds.join(',')} (engine ${engineStatus().engine})\n`,
          );
        const rows = compareDst({
          store,
          hparams: hp,
          methods,
          seeds,
          callbacks: progress({ quiet: o.quiet || o.json }),
        });
        emit(o.json, { rows: rows.map(rowJson) }, () => comparisonTable(rows));
        return;
      }
      const plan = planDst(hp); // every check before training
      if (!o.json && !o.quiet) {
        process.stderr.write(
          `sprig dst ${plan.runId}: ${plan.method} on ${plan.setup.model.name} / ${plan.setup.dataset.name}, ${plan.totalSteps} iterations (engine ${engineStatus().engine})\n`,
        );
      }
      const r = runDst({
        store,
        hparams: hp,
        dataset: plan.setup.dataset,
        callbacks: progress({ quiet: o.quiet }),
      });
      emit(o.json, r, () =>
        [
          `${r.cached ? 'stored result (already finished; nothing trained)' : 'finished'}: ${r.runId}`,
          `  ${r.method} on ${r.model}: test accuracy ${pct(r.testAccuracy)} (${r.steps} iterations in ${r.wallSeconds.toFixed(1)} s)`,
          `  sparsity ${(1 - r.sparsity.density).toFixed(4)} over prunable weights (target ${r.targetSparsity})`,
          `  FLOPs: ${flopsText(r.flops)}`,
          densityTable(r)
            .split('\n')
            .map((l) => `  ${l}`)
            .join('\n'),
          `  run directory ${r.runDir}`,
        ].join('\n'),
      );
    } finally {
      store.close();
    }
  });
}

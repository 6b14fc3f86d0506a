import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import { compareDst, planDst, runDst, type ComparisonRow, type DstResult } from '../experiments/dst.js';
import { methodNames } from '../algorithms/index.js';
import { engineStatus } from '../engine/index.js';
import { SprigError } from '../util/errors.js';
import { list, type CommonOptions } from './flags.js';
import { addExperimentFlags, hparamsFromFlags, loggingFromFlags } from './schema-flags.js';
import { FLAGSHIP_DENSE } from '../experiments/flagship.js';
import { progress } from './progress.js';
import { emit, pct, table } from './output.js';

const ints = (v: string) =>
  list(v).map((s) => {
    const x = Number(s);
    if (!Number.isInteger(x) || x < 0)
      throw new SprigError(`seed '${s}' is not a whole number ≥ 0`, 'pass e.g. --seeds 0,1,2');
    return x;
  });

/** The comparison flags, which are not hyperparameters of one run: they say which runs to make. */
export function addComparisonFlags(cmd: Command): Command {
  return cmd
    .option(
      '--methods <list>',
      `compare several methods, e.g. dense,static,set,rigl (one table, mean ± std over --seeds); from ${methodNames.join(', ')}`,
      list,
    )
    .option('--seeds <list>', 'seeds for the comparison, e.g. 0,1,2', ints);
}

/** Hyperparameters from config + flags, with the flagship recipe as the training default. */
export function dstHparamsFromFlags(o: CommonOptions): Record<string, Record<string, unknown>> {
  return hparamsFromFlags('dst', o, FLAGSHIP_DENSE);
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
  `training ${f.trainingFraction.toFixed(3)}× dense training over the whole run (${f.trainingPerStep.toExponential(3)} FLOPs/example per step, ${f.trainingPerStepFraction.toFixed(3)}× a dense step), inference ${f.inference.toExponential(3)} (${f.inferenceFraction.toFixed(3)}× dense)`;

export function comparisonTable(rows: ComparisonRow[]): string {
  return table(
    ['method', 'model', 'seeds', 'test accuracy', 'train FLOPs (run)', 'test FLOPs', 'sparsity'],
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
  addComparisonFlags(
    addExperimentFlags(
      program
        .command('dst')
        .description(
          'dynamic sparse training (RigL, SET, SNFS, static, SNIP, GMP) and baselines; stored and cached by hyperparameters. Training defaults are the flagship recipe (SGD momentum 0.9, lr 0.05 cosine, wd 5e-4), so `dst --method dense` is the flagship dense run',
        ),
      'dst',
      FLAGSHIP_DENSE,
    ),
  ).action((o: CommonOptions) => {
    const hp = dstHparamsFromFlags(o);
    const logging = loggingFromFlags(o);
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
          ...logging,
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
      const r = runDst({ store, plan, callbacks: progress({ quiet: o.quiet }), ...logging });
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

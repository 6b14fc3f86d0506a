import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import { compareDst, type ComparisonRow } from '../experiments/dst.js';
import { methodNames } from '../algorithms/index.js';
import { engineStatus } from '../engine/index.js';
import { SprigError } from '../util/errors.js';
import type { AnyKind } from '../experiments/kinds.js';
import { hparamsFromFlags, loggingFromFlags } from '../experiments/schema-flags.js';
import { list, type CommonOptions } from './flags.js';
import { kindCommand, runKind } from './experiment.js';
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

/** `sprig dst`: one run as every kind's command, or with --methods/--seeds a comparison table. */
export function register(program: Command, kind: AnyKind): void {
  addComparisonFlags(kindCommand(program, kind)).action((o: CommonOptions) => {
    if (o.methods || o.seeds) compare(o);
    else runKind(kind, o);
  });
}

function compare(o: CommonOptions): void {
  const hp = hparamsFromFlags('dst', o);
  const methods = (o.methods as string[] | undefined) ?? [String(hp.dst!.method ?? 'rigl')];
  const seeds = (o.seeds as number[] | undefined) ?? [Number(hp.training!.seed ?? 0)];
  if (!o.json && !o.quiet)
    process.stderr.write(
      `sprig dst: ${methods.join(', ')} × seeds ${seeds.join(',')} (engine ${engineStatus().engine})\n`,
    );
  const store = new RunStore(o.root);
  try {
    const rows = compareDst({
      store,
      hparams: hp,
      methods,
      seeds,
      callbacks: progress({ quiet: o.quiet || o.json }),
      ...loggingFromFlags(o),
    });
    emit(o.json, { rows: rows.map(rowJson) }, () => comparisonTable(rows));
  } finally {
    store.close();
  }
}

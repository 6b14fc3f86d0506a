import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import { engineStatus } from '../engine/index.js';
import { parameterCount } from '../models/registry.js';
import {
  prepareLottery,
  runPrepared,
  type LotteryResult,
  type PointSummary,
  type Stat,
} from '../experiments/lottery.js';
import { optimizerSummary, setup } from '../experiments/setup.js';
import { outputFractionOf, replicateHparams } from '../experiments/lottery-hparams.js';
import { list, num, type CommonOptions } from './flags.js';
import { addExperimentFlags, hparamsFromFlags, loggingFromFlags } from './schema-flags.js';
import { progress } from './progress.js';
import { emit, table } from './output.js';

/** '0.2,0.36' or '0.8^1..8' (1 − 0.8^k for k = 1..8, the KD-ticket paper's grid). */
export function parseOneShot(v: string): number[] {
  return list(v).flatMap((item) => {
    const m = /^([\d.]+)\^(\d+)\.\.(\d+)$/.exec(item);
    if (!m) return [num(item)];
    const [b, lo, hi] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return Array.from({ length: Math.max(0, hi - lo + 1) }, (_, i) => +(1 - b ** (lo + i)).toFixed(8));
  });
}

export function register(program: Command): void {
  addExperimentFlags(
    program
      .command('lottery')
      .description(
        "lottery tickets: iterative magnitude pruning with rewinding, replicates, one-shot pruning and branches (stored, resumable). Defaults: the MNIST recipe of Frankle & Carbin's TF re-implementation (SGD lr 0.1, no momentum, constant LR; per layer 20 %/level, output 10 %), with OpenLTH's batch 128 and He init, 10 epochs per level (the paper's own: --optimizer adam --lr 0.0012 --batch-size 60 --train-steps 50000it); docs/fidelity.md",
      ),
    'lottery',
    {},
    { parsers: { 'lottery.oneShot': parseOneShot } },
  ).action((o: CommonOptions) => {
    const groups = hparamsFromFlags('lottery', o);
    const plan = groups.lottery!;
    const { lottery: _l, ...rest } = groups;
    const hparams = rest;
    const store = new RunStore(o.root);
    const prepared = prepareLottery({
      store,
      hparams,
      plan,
      callbacks: progress({ quiet: o.quiet }),
      ...loggingFromFlags(o),
    });
    const { hp } = prepared.ctx;
    const log = o.quiet ? undefined : (line: string) => process.stderr.write(`${line}\n`);
    if (log) {
      const s = setup(replicateHparams(hp, 0), prepared.ctx.dataset);
      const p = hp.pruning;
      log(
        `sprig lottery ${prepared.ctx.expId}: ${hp.model.name} (${parameterCount(s.model).toLocaleString('en')} parameters) on ${s.dataset.name}, ` +
          `${optimizerSummary(hp.training)}; prune ${p.pruneFraction} per level (${p.pruneScope}, output ${outputFractionOf(p)}), ` +
          `rewind ${p.rewind}; ${prepared.ctx.plan.levels} levels × ${prepared.ctx.plan.replicates} replicates; engine ${engineStatus().engine}`,
      );
    }
    const r = runPrepared(prepared, log);
    store.close();
    emit(o.json, jsonOf(r), () => human(r));
  });
}

function jsonOf(r: LotteryResult) {
  const point = (s: PointSummary) => ({
    remaining: s.remaining,
    testAccuracy: s.testAccuracy,
    testAccuracyStd: s.testAccuracyStd,
    replicates: s.replicates,
    branches: s.branches,
  });
  return {
    runId: r.runId,
    runDir: r.runDir,
    levels: r.levels.map((l) => ({ level: l.level, ...point(l) })),
    oneShot: r.oneShot.map((l) => ({ sparsity: l.sparsity, ...point(l) })),
  };
}

const cell = (s: Stat | undefined) =>
  s ? `${(s.testAccuracy * 100).toFixed(2)} ± ${(s.testAccuracyStd * 100).toFixed(2)}` : '–';

function human(r: LotteryResult): string {
  const names = [...new Set([...r.levels, ...r.oneShot].flatMap((l) => Object.keys(l.branches)))];
  const n = r.levels[0]?.replicates.length ?? 0;
  const out = [
    `lottery ${r.runId} (${r.runDir}); test accuracy %, mean ± std over ${n} replicate${n === 1 ? '' : 's'}`,
    '',
  ];
  out.push(
    table(
      ['level', 'remaining %', 'main', ...names],
      r.levels.map((l) => [
        l.level,
        (l.remaining * 100).toFixed(2),
        cell(l),
        ...names.map((b) => cell(l.branches[b])),
      ]),
    ),
  );
  if (r.oneShot.length) {
    out.push('', 'one-shot pruning of level 0:');
    out.push(
      table(
        ['sparsity %', 'remaining %', 'main', ...names],
        r.oneShot.map((l) => [
          (l.sparsity * 100).toFixed(2),
          (l.remaining * 100).toFixed(2),
          cell(l),
          ...names.map((b) => cell(l.branches[b])),
        ]),
      ),
    );
  }
  return out.join('\n');
}

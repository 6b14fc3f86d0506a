import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import { engineStatus } from '../engine/index.js';
import { SprigError } from '../util/errors.js';
import { parameterCount } from '../models/registry.js';
import {
  prepareLottery,
  runPrepared,
  type LotteryResult,
  type PointSummary,
  type Stat,
} from '../experiments/lottery.js';
import { BRANCH_KINDS } from '../experiments/lottery-branches.js';
import { optimizerSummary, setup } from '../experiments/setup.js';
import { outputFractionOf, replicateHparams } from '../experiments/lottery-hparams.js';
import { addTrainingFlags, hparamsFromFlags, int, list, num, type CommonOptions } from './flags.js';
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

function parseLayerFractions(v: string): Record<string, number> {
  return Object.fromEntries(
    list(v).map((kv) => {
      const [k, x] = kv.split('=');
      if (!k || x === undefined)
        throw new SprigError(`'${kv}' is not name=fraction`, "write e.g. 'fc.weight=0.1,fc1.weight=0.2'");
      return [k, num(x)];
    }),
  );
}

function parseJson(v: string): Record<string, unknown> {
  try {
    const o = JSON.parse(v);
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('not an object');
    return o;
  } catch (e) {
    throw new SprigError(
      `--retrain '${v}' is not a JSON object (${(e as Error).message})`,
      'write e.g. --retrain \'{"lr": 0.05, "momentum": 0.9}\'',
    );
  }
}

export function register(program: Command): void {
  addTrainingFlags(
    program
      .command('lottery')
      .description(
        'lottery tickets: iterative magnitude pruning with rewinding, replicates, one-shot pruning and branches (stored, resumable)',
      ),
  )
    .option('--levels <n>', 'pruning levels after the dense level 0 (default 2)', int)
    .option('--prune-fraction <p>', 'fraction of the remaining weights pruned per level (default 0.2)', num)
    .option(
      '--prune-scope <scope>',
      "'layer': Frankle & Carbin's recipe (default); 'global': OpenLTH's (one threshold, output never pruned)",
    )
    .option(
      '--output-fraction <p>',
      'output-layer rate (default: p/2 under layer scope, 0 under global)',
      num,
    )
    .option(
      '--layer-fractions <list>',
      "per-layer rates, e.g. 'fc1.weight=0.2,fc.weight=0.1'",
      parseLayerFractions,
    )
    .option('--exclude <layers>', 'prunable weights never pruned, comma-separated', list)
    .option(
      '--rewind <point>',
      "'init' (θ0, default), a step such as '500it' (weight rewinding), or 'lr' (LR rewinding)",
    )
    .option('--replicates <n>', 'replicates (seeds seed, seed+1, …; default 1)', int)
    .option('--branches <list>', `branches at each level: ${BRANCH_KINDS.join(', ')}`, list)
    .option('--branch-levels <list>', 'levels the branches run at (default: all ≥ 1)', (v: string) =>
      list(v).map(int),
    )
    .option('--one-shot <list>', "one-shot sparsities, e.g. '0.2,0.36' or '0.8^1..8' (1−0.8^k)", parseOneShot)
    .option('--kd-alpha <x>', 'KD weight α of the KL term (default 0.9)', num)
    .option('--kd-temperature <t>', 'KD temperature T (default 5)', num)
    .option('--kd-rewind <step>', "rewind step of the kd_rewind branch, e.g. '1ep'")
    .option(
      '--retrain <json>',
      'training hyperparameters the retrain branch changes, e.g. \'{"lr":0.05}\'',
      parseJson,
    )
    .option('--basis-block <n>', 'block size of the dct/orthogonal bases (default 8)', int)
    .option('--basis-seed <n>', 'seed of the orthogonal basis (default 0)', int)
    .option(
      '--basis-remainder <mode>',
      "when the block does not divide a dim: 'ragged' (a smaller last block, default) or 'error'",
    )
    .option('--branches-only', 'run only the branches, on levels already trained')
    .action((o: CommonOptions) => {
      const groups = hparamsFromFlags(o);
      const pruning: Record<string, unknown> = { ...(groups.pruning ?? {}) };
      const setIf = (target: Record<string, unknown>, key: string, v: unknown) => {
        if (v !== undefined) target[key] = v;
      };
      setIf(pruning, 'pruneFraction', o.pruneFraction);
      setIf(pruning, 'pruneScope', o.pruneScope);
      setIf(pruning, 'outputFraction', o.outputFraction);
      setIf(pruning, 'layerFractions', o.layerFractions);
      setIf(pruning, 'exclude', o.exclude);
      setIf(pruning, 'rewind', o.rewind);
      const plan: Record<string, unknown> = { ...(groups.lottery ?? {}) };
      for (const k of [
        'levels',
        'replicates',
        'branches',
        'branchLevels',
        'oneShot',
        'kdAlpha',
        'kdTemperature',
        'kdRewind',
        'retrain',
        'basisBlock',
        'basisSeed',
        'basisRemainder',
        'branchesOnly',
      ]) {
        setIf(plan, k, o[k]);
      }
      const { lottery: _l, ...rest } = groups;
      const hparams = { ...rest, pruning };
      const store = new RunStore(o.root);
      const prepared = prepareLottery({ store, hparams, plan, callbacks: progress({ quiet: o.quiet }) });
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

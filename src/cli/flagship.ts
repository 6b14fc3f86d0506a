import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import {
  FLAGSHIP_DENSE,
  LOTTERY_FINDING_FRACTION,
  planFlagship,
  runFlagship,
  type FlagshipRow,
} from '../experiments/flagship.js';
import { engineStatus } from '../engine/index.js';
import { train } from '../experiments/kinds/train.js';
import { hparamsFromFlags, loggingFromFlags } from '../experiments/schema-flags.js';
import type { CommonOptions } from './flags.js';
import { addExperimentFlags } from './experiment.js';
import { progress } from './progress.js';
import { emit, pct, table } from './output.js';

export { FLAGSHIP_DENSE, FLAGSHIP_DST, FLAGSHIP_LOTTERY, FLAGSHIP_METHODS } from '../experiments/flagship.js';

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
    const { hp } = train.identify(hparamsFromFlags('train', o, FLAGSHIP_DENSE));
    const planned = planFlagship(hp);
    const store = new RunStore(o.root);
    if (!o.json)
      process.stderr.write(
        `sprig flagship: ${hp.model.name} on ${planned.dense.dataset.name}, ${planned.dense.totalSteps} iterations per method (engine: ${engineStatus().engine})\n`,
      );
    let rows: FlagshipRow[];
    try {
      rows = runFlagship(hp, {
        store,
        callbacks: progress({ quiet: o.quiet }),
        planned,
        ...loggingFromFlags(o),
      });
    } finally {
      store.close();
    }
    // measured wall time beside the FLOPs: sparse layers run on the sparse kernels (sprig info)
    const denseSeconds = rows[0]!.wallSeconds;
    emit(
      o.json,
      Object.fromEntries(rows.map((r) => [r.method, r])),
      () =>
        table(
          [
            'method',
            'sparsity',
            'test accuracy',
            'train FLOPs (run)',
            'test FLOPs',
            'wall s',
            'time × dense',
            'run',
          ],
          rows.map((r) => [
            r.method,
            r.sparsity.toFixed(2),
            pct(r.testAccuracy),
            `${r.flops.trainingFraction.toFixed(3)}×`,
            `${r.flops.inferenceFraction.toFixed(3)}×`,
            `${r.wallSeconds.toFixed(1)}${r.cached ? ' (stored)' : ''}`,
            `${(r.wallSeconds / denseSeconds).toFixed(2)}×`,
            r.runId,
          ]),
        ) +
        `\nlottery: the ticket's retraining from θ0; finding it trained the dense network first ` +
        `(+${LOTTERY_FINDING_FRACTION}× dense FLOPs, the dense row's run).`,
    );
  });
}

import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import { hashedRunId, trainHparamsSchema, validate } from '../experiments/hparams.js';
import { setup, optimizerSummary } from '../experiments/setup.js';
import { runTraining } from '../experiments/run.js';
import { parameterCount } from '../models/registry.js';
import { engineStatus } from '../engine/index.js';
import type { CommonOptions } from './flags.js';
import { addExperimentFlags, hparamsFromFlags, loggingFromFlags } from './schema-flags.js';
import { progress } from './progress.js';
import { emit, pct } from './output.js';

export function register(program: Command): void {
  addExperimentFlags(
    program
      .command('train')
      .description(
        "train one dense network and store the run (cached by its hyperparameters); defaults are the schema's own",
      ),
    'train',
  ).action((o: CommonOptions) => {
    const hp = validate(trainHparamsSchema, hparamsFromFlags('train', o));
    const logging = loggingFromFlags(o);
    const store = new RunStore(o.root);
    const s = setup(hp);
    const runId = hashedRunId('train', trainHparamsSchema, hp);
    if (!o.json && !o.quiet) {
      process.stderr.write(
        `sprig train ${runId}: ${hp.model.name} (${parameterCount(s.model).toLocaleString('en')} parameters) on ${s.dataset.name}, ${optimizerSummary(hp.training)}; engine ${engineStatus().engine}\n`,
      );
    }
    const { trained: _t, ...r } = runTraining({
      store,
      runId,
      kind: 'train',
      hparams: hp,
      options: s.options(),
      callbacks: progress({ quiet: o.quiet }),
      ...logging,
      label: hp.model.name,
    });
    store.close();
    emit(o.json, r, () =>
      [
        `${r.cached ? 'stored result (already finished; nothing trained)' : 'finished'}: ${r.runId}`,
        `  test accuracy ${pct(r.testAccuracy)}  loss ${r.testLoss.toFixed(4)}  soft error ${r.testSoftError.toFixed(4)}`,
        `  ${r.steps} iterations in ${r.wallSeconds.toFixed(1)} s; run directory ${r.runDir}`,
      ].join('\n'),
    );
  });
}

/** `sprig bootstrap`: the Deep Bootstrap experiment (Real World vs Ideal World) for one or more models. */
import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import { validate } from '../experiments/hparams.js';
import {
  bootstrapHparamsSchema,
  runBootstrap,
  type BootstrapHparams,
  type BootstrapResult,
} from '../experiments/bootstrap.js';
import { optimizerSummary } from '../experiments/setup.js';
import { engineStatus } from '../engine/index.js';
import type { CommonOptions } from './flags.js';
import { addExperimentFlags, hparamsFromFlags, loggingFromFlags } from './schema-flags.js';
import { progress } from './progress.js';
import { emit, pct, table } from './output.js';

/** The paper's recipe (deep-bootstrap-code): SGD lr 0.1, no momentum, cosine, batch 128; 10 Real World epochs. */
export const BOOTSTRAP_DEFAULTS = {
  dataset: { name: 'fashion_mnist' },
  training: { optimizer: 'sgd', lr: 0.1, lrSchedule: 'cosine', batchSize: 128, trainSteps: '10ep' },
};
export const DEFAULT_MODELS = ['mnist_lenet_300_100', 'mnist_lenet5'];

/**
 * The hyperparameters from config + flags, validated: `--source NAME` takes the pool of another
 * dataset, and without --model or --models the paper's two models are compared.
 */
export function bootstrapHparamsFromFlags(o: CommonOptions): BootstrapHparams {
  const raw = hparamsFromFlags('bootstrap', o, BOOTSTRAP_DEFAULTS);
  const b = raw.bootstrap!;
  if (typeof b.source === 'string' && b.source !== 'teacher' && b.source !== 'pool') {
    raw.dataset = { ...raw.dataset, name: b.source };
    b.source = 'pool';
  }
  if (o.model === undefined && (b.models === undefined || (b.models as unknown[]).length === 0))
    b.models = DEFAULT_MODELS;
  return validate(bootstrapHparamsSchema, raw);
}

export function register(program: Command): void {
  const cmd = program
    .command('bootstrap')
    .description(
      "Deep Bootstrap: train each model on n re-used samples (Real World) and on fresh samples (Ideal World) for the same steps; report the test soft-error gap. Training defaults are the paper's recipe (SGD lr 0.1 without momentum, cosine, 10 Real World epochs); models default to " +
        DEFAULT_MODELS.join(', '),
    );
  addExperimentFlags(cmd, 'bootstrap', BOOTSTRAP_DEFAULTS, { openChoices: ['bootstrap.source'] }).action(
    (o: CommonOptions) => {
      const hp = bootstrapHparamsFromFlags(o);
      const logging = loggingFromFlags(o);
      const store = new RunStore(o.root);
      const say = (line: string) => {
        if (!o.quiet) process.stderr.write(line + '\n');
      };
      if (!o.json)
        say(
          `sprig bootstrap: n = ${hp.bootstrap.n} (${hp.bootstrap.source}), ${optimizerSummary(hp.training)}; engine ${engineStatus().engine}`,
        );
      let r: BootstrapResult;
      try {
        r = runBootstrap(hp, {
          store,
          callbacks: progress({ quiet: o.quiet || o.json }),
          log: say,
          ...logging,
        });
      } finally {
        store.close();
      }
      emit(o.json, r, () => human(r));
    },
  );
}

function human(r: BootstrapResult): string {
  const rows = r.models.map((m) => [
    m.model,
    m.stoppingStep === null ? `${m.atStop.step} (not reached)` : String(m.stoppingStep),
    pct(m.atStop.real.trainError ?? undefined),
    pct(m.atStop.real.testSoftError),
    pct(m.atStop.ideal.testSoftError),
    pct(m.gap),
    pct(m.atStop.real.testError),
    pct(m.atStop.ideal.testError),
    pct(m.hardGap),
  ]);
  const pool =
    r.poolSize === null
      ? 'teacher (unlimited fresh samples)'
      : `pool of ${r.poolSize.toLocaleString('en')}${r.idealRepeats ? ', re-used' : ', no sample seen twice'}`;
  return [
    `Deep Bootstrap: Real World n = ${r.n.toLocaleString('en')}, Ideal World ${pool}; T = ${r.totalSteps} iterations at batch ${r.batchSize}`,
    `values at the Real World's stopping time (train error < ${pct(r.threshold, 1)}); gap = Real − Ideal`,
    '',
    table(
      [
        'model',
        'stop step',
        'real train err',
        'real soft err',
        'ideal soft err',
        'soft gap',
        'real test err',
        'ideal test err',
        'hard gap',
      ],
      rows,
    ),
    '',
    `curves: ${r.runDir}/bootstrap.json (and curve.json in each world's run directory)`,
  ].join('\n');
}

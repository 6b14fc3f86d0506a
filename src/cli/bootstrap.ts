/** `sprig bootstrap`: the Deep Bootstrap experiment (Real World vs Ideal World) for one or more models. */
import { Command, Option } from 'commander';
import { RunStore } from '../store/store.js';
import { validate } from '../experiments/hparams.js';
import { bootstrapHparamsSchema, runBootstrap, type BootstrapResult } from '../experiments/bootstrap.js';
import { optimizerSummary } from '../experiments/setup.js';
import { engineStatus } from '../engine/index.js';
import { num, int, addTrainingFlags, hparamsFromFlags, type CommonOptions } from './flags.js';
import { progress } from './progress.js';
import { emit, pct, table } from './output.js';

/** The paper's recipe (deep-bootstrap-code): SGD lr 0.1, no momentum, cosine, batch 128; 10 Real World epochs. */
export const BOOTSTRAP_DEFAULTS = {
  dataset: { name: 'fashion_mnist' },
  training: { optimizer: 'sgd', lr: 0.1, lrSchedule: 'cosine', batchSize: 128, trainSteps: '10ep' },
};
export const DEFAULT_MODELS = ['mnist_lenet_300_100', 'mnist_lenet5'];

export function register(program: Command): void {
  const cmd = program
    .command('bootstrap')
    .description(
      'Deep Bootstrap: train each model on n re-used samples (Real World) and on fresh samples (Ideal World) for the same steps; report the test soft-error gap',
    );
  addTrainingFlags(cmd)
    .option('--n <n>', 'Real World samples (default 5000)', int)
    .option(
      '--models <list>',
      `models to compare, comma-separated (default ${DEFAULT_MODELS.join(',')}; --model gives one)`,
    )
    .option(
      '--log-every <step>',
      "measure both worlds every this many steps, e.g. '1ep' (Real World epochs) or '20it' (default 1ep)",
    )
    .option(
      '--threshold <x>',
      'Real World stopping time: first logged step with train error below this (default 0.01)',
      num,
    )
    .addOption(
      new Option(
        '--source <name>',
        "Ideal World data: 'pool' (the dataset's other training samples; a dataset name such as fashion_mnist picks that dataset) or 'teacher' (synthetic, unlimited)",
      ),
    )
    .option('--allow-repeats', 'let the Ideal World re-use its pool when T × batch exceeds it (logged)')
    .action((o: CommonOptions) => {
      const raw = hparamsFromFlags(o, BOOTSTRAP_DEFAULTS);
      const b: Record<string, unknown> = { ...(raw.bootstrap ?? {}) };
      if (o.n !== undefined) b.n = o.n;
      if (o.logEvery !== undefined) b.logEvery = o.logEvery;
      if (o.threshold !== undefined) b.threshold = o.threshold;
      if (o.allowRepeats) b.allowRepeats = true;
      if (typeof o.source === 'string') {
        if (o.source === 'teacher' || o.source === 'pool') b.source = o.source;
        else {
          b.source = 'pool';
          raw.dataset = { ...raw.dataset, name: o.source };
        }
      }
      if (typeof o.models === 'string')
        b.models = o.models
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      else if (o.model === undefined && b.models === undefined) b.models = DEFAULT_MODELS;
      const hp = validate(bootstrapHparamsSchema, { ...raw, bootstrap: b });
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
        r = runBootstrap(hp, { store, callbacks: progress({ quiet: o.quiet || o.json }), log: say });
      } finally {
        store.close();
      }
      emit(o.json, r, () => human(r));
    });
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

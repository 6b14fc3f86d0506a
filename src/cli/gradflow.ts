/** `sprig gradflow`: gradient flow and loss-landscape diagnostics of sparse training methods on one model and sparsity. */
import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import { validate } from '../experiments/hparams.js';
import { gradflowHparamsSchema, runGradflow, type GradflowResult } from '../experiments/gradflow.js';
import { optimizerSummary } from '../experiments/setup.js';
import { engineStatus } from '../engine/index.js';
import type { CommonOptions } from './flags.js';
import { addExperimentFlags, hparamsFromFlags, loggingFromFlags } from './schema-flags.js';
import { progress } from './progress.js';
import { emit, pct, table } from './output.js';

/** rigl_tf2's LeNet-5 recipe (papers.md §6): SGD momentum 0.9, lr 0.05 cosine, wd 5e-4, batch 128, 25 epochs. */
export const GRADFLOW_DEFAULTS = {
  dataset: { name: 'fashion_mnist' },
  model: { name: 'mnist_lenet5' },
  training: {
    optimizer: 'sgd',
    lr: 0.05,
    momentum: 0.9,
    weightDecay: 5e-4,
    lrSchedule: 'cosine',
    batchSize: 128,
    trainSteps: '25ep',
  },
};

export function register(program: Command): void {
  const cmd = program
    .command('gradflow')
    .description(
      "gradient flow in sparse networks: the pruning solution, the lottery ticket (its mask, θ0), Scratch and Scratch+ (its mask, a fresh dense or sparse init), a random mask, RigL and RigL+ on one model and sparsity; gradient norms and loss-landscape measures. Training defaults are rigl_tf2's LeNet-5 recipe (SGD momentum 0.9, lr 0.05 cosine, wd 5e-4, 25 epochs), the paper's",
    );
  addExperimentFlags(cmd, 'gradflow', GRADFLOW_DEFAULTS).action((o: CommonOptions) => {
    const hp = validate(gradflowHparamsSchema, hparamsFromFlags('gradflow', o, GRADFLOW_DEFAULTS));
    const logging = loggingFromFlags(o);
    const store = new RunStore(o.root);
    const say = (line: string) => {
      if (!o.quiet) process.stderr.write(line + '\n');
    };
    if (!o.json)
      say(
        `sprig gradflow: ${hp.model.name} at ${pct(hp.gradflow.sparsity, 1)} sparsity on ${hp.dataset.name}, ${optimizerSummary(hp.training)}; engine ${engineStatus().engine}`,
      );
    let r: GradflowResult;
    try {
      r = runGradflow(hp, {
        store,
        callbacks: progress({ quiet: o.quiet || o.json }),
        log: say,
        ...logging,
      });
    } finally {
      store.close();
    }
    emit(o.json, r, () => human(r));
  });
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toPrecision(3) : '–');

function human(r: GradflowResult): string {
  const rows = r.runs.map((x) => [
    x.run,
    pct(x.testAccuracy),
    pct(x.sparsity, 1),
    f3(x.gradNormAtInit),
    f3(x.gradNorm.total.at(-1) ?? NaN),
    f3(x.initDistanceToPruned),
    f3(x.distanceToPruned),
    f3(x.distanceToInit),
    pct(x.disagreementWithPruned),
    pct(x.interpolationToPruned.barrier),
    pct(x.ensembleWithPrunedAccuracy),
  ]);
  return [
    `Gradient flow: ${r.model} at ${pct(r.sparsity, 1)} sparsity, ${r.totalSteps} iterations; gradient norm on ${r.gradBatch} held-out training examples`,
    '',
    table(
      [
        'run',
        'test acc',
        'sparsity',
        '‖g‖ init',
        '‖g‖ end',
        'init→pruned',
        'dist pruned',
        'dist init',
        'disagree w/ pruned',
        'error barrier',
        'ens. w/ pruned',
      ],
      rows,
    ),
    '',
    `ensemble of all ${r.runs.length} runs: ${pct(r.ensembleAccuracy)}; error barrier = sup error − mean of end errors on the line to the pruning solution (Frankle et al. 2020)`,
    `curves and measures: ${r.runDir}/gradflow.json (gradnorm.json in each run's directory)`,
  ].join('\n');
}

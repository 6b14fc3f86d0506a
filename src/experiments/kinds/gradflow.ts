/** `gradflow`: gradient flow and loss-landscape diagnostics of sparse training methods on one model and sparsity. */
import { datasetSchema, modelSchema, trainingSchema, validate } from '../hparams.js';
import {
  GRADFLOW_RECIPE_VERSION,
  gradflowHparamsSchema,
  gradflowRunId,
  gradflowSchema,
  runGradflow,
  type GradflowHparams,
  type GradflowResult,
} from '../gradflow.js';
import { optimizerSummary } from '../setup.js';
import { gradflowFigures, isGradflowReport } from '../../figures/gradflow.js';
import { pct, table } from '../../util/format.js';
import type { ExperimentKind } from '../kind.js';

export const gradflow = {
  name: 'gradflow',
  description:
    "gradient flow in sparse networks: the pruning solution, the lottery ticket (its mask, θ0), Scratch and Scratch+ (its mask, a fresh dense or sparse init), a random mask, RigL and RigL+ on one model and sparsity; gradient norms and loss-landscape measures. Training defaults are rigl_tf2's LeNet-5 recipe (SGD momentum 0.9, lr 0.05 cosine, wd 5e-4, 25 epochs), the paper's",
  groups: { dataset: datasetSchema, model: modelSchema, training: trainingSchema, gradflow: gradflowSchema },
  // rigl_tf2's LeNet-5 recipe (papers.md §6)
  recipe: {
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
  },
  recipeVersion: GRADFLOW_RECIPE_VERSION,
  identify(raw, recipe?: number) {
    const hp = validate(gradflowHparamsSchema, raw);
    return { hp, runId: gradflowRunId(hp, recipe) };
  },
  run: (hp, ctx) => runGradflow(hp, ctx),
  intro: (hp) =>
    `${hp.model.name} at ${pct(hp.gradflow.sparsity, 1)} sparsity on ${hp.dataset.name}, ${optimizerSummary(hp.training)}`,
  summary,
  report: 'gradflow',
  figures: (_src, row, doc) => (isGradflowReport(doc) ? gradflowFigures(doc, row.runId) : undefined),
  label: (hp) => hp.model.name,
} satisfies ExperimentKind<GradflowHparams, GradflowResult>;

const f3 = (x: number) => (Number.isFinite(x) ? x.toPrecision(3) : '–');

const COLUMNS = [
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
];

function summary(r: GradflowResult): string {
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
    table(COLUMNS, rows),
    '',
    `ensemble of all ${r.runs.length} runs: ${pct(r.ensembleAccuracy)}; error barrier = sup error − mean of end errors on the line to the pruning solution (Frankle et al. 2020)`,
    `curves and measures: ${r.runDir}/gradflow.json (gradnorm.json in each run's directory)`,
  ].join('\n');
}

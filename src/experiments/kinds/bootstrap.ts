/** `bootstrap`: the Deep Bootstrap experiment (Real World vs Ideal World) for one or more models. */
import { datasetSchema, modelSchema, trainingSchema, validate } from '../hparams.js';
import {
  BOOTSTRAP_RECIPE_VERSION,
  bootstrapHparamsSchema,
  bootstrapRunId,
  bootstrapSchema,
  runBootstrap,
  type BootstrapHparams,
  type BootstrapResult,
} from '../bootstrap.js';
import { optimizerSummary } from '../setup.js';
import { bootstrapFigures, isBootstrapReport } from '../../figures/bootstrap.js';
import { pct, table } from '../../util/format.js';
import type { ExperimentKind, Groups } from '../kind.js';

/** The models compared when neither --model nor --models is given: the paper's two. */
export const DEFAULT_MODELS = ['mnist_lenet_300_100', 'mnist_lenet5'];

export const bootstrap = {
  name: 'bootstrap',
  description:
    "Deep Bootstrap: train each model on n re-used samples (Real World) and on fresh samples (Ideal World) for the same steps; report the test soft-error gap. Training defaults are the paper's recipe (SGD lr 0.1 without momentum, cosine, 10 Real World epochs); models default to " +
    DEFAULT_MODELS.join(', '),
  groups: {
    dataset: datasetSchema,
    model: modelSchema,
    training: trainingSchema,
    bootstrap: bootstrapSchema,
  },
  // deep-bootstrap-code: SGD lr 0.1, no momentum, cosine, batch 128; 10 Real World epochs
  recipe: {
    dataset: { name: 'fashion_mnist' },
    training: { optimizer: 'sgd', lr: 0.1, lrSchedule: 'cosine', batchSize: 128, trainSteps: '10ep' },
  },
  recipeVersion: BOOTSTRAP_RECIPE_VERSION,
  flags: { openChoices: ['bootstrap.source'] },
  input: bootstrapInput,
  identify(raw, recipe?: number) {
    const hp = validate(bootstrapHparamsSchema, raw);
    return { hp, runId: bootstrapRunId(hp, recipe) };
  },
  run: (hp, ctx) => runBootstrap(hp, ctx),
  intro: (hp) => `n = ${hp.bootstrap.n} (${hp.bootstrap.source}), ${optimizerSummary(hp.training)}`,
  summary,
  report: 'bootstrap',
  figures: (_src, row, doc) => (isBootstrapReport(doc) ? bootstrapFigures(doc, row.runId) : undefined),
  label: (hp) => (hp.bootstrap.models.length ? hp.bootstrap.models.join(',') : hp.model.name),
} satisfies ExperimentKind<BootstrapHparams, BootstrapResult>;

/**
 * `--source NAME` takes the pool of another dataset, and without --model or --models the paper's
 * two models are compared.
 */
function bootstrapInput(raw: Groups, given: Record<string, unknown>): Groups {
  const b = { ...raw.bootstrap };
  const out: Groups = { ...raw, bootstrap: b };
  if (typeof b.source === 'string' && b.source !== 'teacher' && b.source !== 'pool') {
    out.dataset = { ...raw.dataset, name: b.source };
    b.source = 'pool';
  }
  if (given.model === undefined && (b.models === undefined || (b.models as unknown[]).length === 0))
    b.models = DEFAULT_MODELS;
  return out;
}

function summary(r: BootstrapResult): string {
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
  const header = ['model', 'stop step', 'real train err', 'real soft err', 'ideal soft err', 'soft gap'];
  return [
    `Deep Bootstrap: Real World n = ${r.n.toLocaleString('en')}, Ideal World ${pool}; T = ${r.totalSteps} iterations at batch ${r.batchSize}`,
    `values at the Real World's stopping time (train error < ${pct(r.threshold, 1)}); gap = Real − Ideal`,
    '',
    table([...header, 'real test err', 'ideal test err', 'hard gap'], rows),
    '',
    `curves: ${r.runDir}/bootstrap.json (and curve.json in each world's run directory)`,
  ].join('\n');
}

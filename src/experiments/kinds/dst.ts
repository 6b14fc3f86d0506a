/** `dst`: one dynamic-sparse-training run (RigL, SET, SNFS, static, SNIP, GMP) or a dense baseline. */
import { datasetSchema, modelSchema, trainingSchema, validate } from '../hparams.js';
import {
  DST_RECIPE_VERSION,
  dstHparamsSchema,
  checkDstGroup,
  dstRunId,
  dstSchema,
  normaliseDst,
  planDst,
  runDst,
  type DstHparams,
  type DstResult,
} from '../dst.js';
import { dstWarnings } from '../dst-warnings.js';
import { FLAGSHIP_DENSE } from '../flagship.js';
import { pct, table } from '../../util/format.js';
import type { ExperimentKind } from '../kind.js';

export const dst = {
  name: 'dst',
  description:
    'dynamic sparse training (RigL, SET, SNFS, static, SNIP, GMP) and baselines; stored and cached by hyperparameters. Training defaults are the flagship recipe (SGD momentum 0.9, lr 0.05 cosine, wd 5e-4), so `dst --method dense` is the flagship dense run',
  groups: { dataset: datasetSchema, model: modelSchema, training: trainingSchema, dst: dstSchema },
  recipe: FLAGSHIP_DENSE,
  recipeVersion: DST_RECIPE_VERSION,
  identify(raw, recipe?: number) {
    // the fields its method ignores are reset first: dense at S = 0.9 and 0.95 is one run
    const hp = normaliseDst(validate(dstHparamsSchema, raw));
    checkDstGroup(hp.dst);
    return { hp, runId: dstRunId(hp, recipe) };
  },
  run: (hp, ctx) => {
    const plan = planDst(hp, ctx.dataset);
    // said before training; the result keeps them too (runDst), so a sweep shows them
    for (const w of dstWarnings(plan)) ctx.log?.(`warning: ${w}`);
    return runDst({ store: ctx.store, plan, callbacks: ctx.callbacks, metricsEvery: ctx.metricsEvery });
  },
  intro: (hp) => `${hp.dst.method} on ${hp.model.name} / ${hp.dataset.name}`,
  summary: (r) =>
    [
      `${r.cached ? 'stored result (already finished; nothing trained)' : 'finished'}: ${r.runId}`,
      `  ${r.method} on ${r.model}: test accuracy ${pct(r.testAccuracy)} (${r.steps} iterations in ${r.wallSeconds.toFixed(1)} s)`,
      `  sparsity ${(1 - r.sparsity.density).toFixed(4)} over prunable weights (target ${r.targetSparsity})`,
      `  FLOPs: ${flopsText(r.flops)}`,
      densityTable(r)
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
      `  run directory ${r.runDir}`,
      ...(r.warnings ?? []).map((w) => `  warning: ${w}`),
    ].join('\n'),
  label: (hp) => hp.dst.method,
} satisfies ExperimentKind<DstHparams, DstResult>;

export function densityTable(r: DstResult): string {
  return table(
    ['layer', 'shape', 'active', 'density'],
    r.sparsity.layers.map((l) => [
      l.name,
      l.shape.join('×'),
      `${l.active.toLocaleString('en')}/${l.total.toLocaleString('en')}`,
      l.density.toFixed(4),
    ]),
  );
}

const flopsText = (f: DstResult['flops']) =>
  `training ${f.trainingFraction.toFixed(3)}× dense training over the whole run (${f.trainingPerStep.toExponential(3)} FLOPs/example per step, ${f.trainingPerStepFraction.toFixed(3)}× a dense step), inference ${f.inference.toExponential(3)} (${f.inferenceFraction.toFixed(3)}× dense)`;

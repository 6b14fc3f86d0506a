/**
 * `sprig export`: a finished run's model and final weights as a TF.js LayersModel (model.json +
 * weights.bin) or as sprig's compact sparse file, checked by loading the export back the way a user
 * would and predicting the run's test set from [0, 1] pixels.
 */
import { existsSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../engine/index.js';
import { trainHparamsSchema, validate } from '../experiments/hparams.js';
import { setup } from '../experiments/setup.js';
import { loadWeights, type StoredWeights } from '../experiments/run.js';
import { artifactPath, readJson } from '../store/artifacts.js';
import { finishedResult } from '../store/verify.js';
import { defaultRoot } from '../store/store.js';
import type { Dataset, Split } from '../data/types.js';
import type { Model } from '../models/types.js';
import { predict, metricsFromLogits } from '../training/evaluate.js';
import { SprigError } from '../util/errors.js';
import { artifactsOf, layersModelOf, setLayersWeights } from './tfjs.js';
import { loadExportOnTfjs } from './load.js';
import { softmaxRows } from './compiled-predict.js';
import { writeExport, type ModelExportOptions, type ModelExportResult } from './model.js';
import { TENSOR_DATASET_PREFIX } from '../data/tensors.js';

export { EXPORT_FORMATS, type ExportFormat } from './formats.js';

export interface ExportOptions extends ModelExportOptions {
  /** Load the export back and measure its test accuracy (default true). */
  evaluate?: boolean;
  /** The run store the run is in (named in the fix when its files are damaged). */
  root?: string;
}

export interface ExportResult extends ModelExportResult {
  runDir: string;
  /** Test accuracy of the stored weights in sprig, and of the export loaded with TF.js from [0, 1] pixels. */
  sprigTestAccuracy?: number;
  exportTestAccuracy?: number;
  /**
   * Fraction of test examples where both predict the same class, and the largest difference of their
   * outputs: logits, or probabilities where the model ends in a softmax (`compared`).
   */
  agreement?: number;
  maxLogitDiff?: number;
  compared?: 'logits' | 'probabilities';
}

/** A run directory from a path or a run id under the store root. */
export function resolveRun(run: string, root: string): string {
  for (const d of [resolve(run), join(resolve(root), run)])
    if (existsSync(artifactPath(d, 'hparams'))) return d;
  throw new SprigError(
    `no run '${run}' (neither a run directory nor a run id under ${resolve(root)})`,
    'pass a run directory (e.g. runs/dst_…, or a lottery level such as runs/lottery_…/replicate_0/level_3) or a run id; `sprig runs` lists them',
  );
}

interface LoadedRun {
  model: Model;
  dataset: Dataset;
  weights: StoredWeights;
  testAccuracy?: number;
}

function loadRun(dir: string, root?: string): LoadedRun {
  const result = finishedResult<{ testAccuracy?: number }>(dir, root && resolve(root));
  const weightsPath = artifactPath(dir, 'weights');
  if (!result || !existsSync(weightsPath))
    throw new SprigError(
      `run ${dir} has not finished (it has no result and final weights), so it has no final weights to export`,
      'finish it first by re-running the command that started it (it resumes), then export',
    );
  const hp = readJson<Record<string, unknown>>(artifactPath(dir, 'hparams')) ?? {};
  if (!hp.model || !hp.dataset || !hp.training)
    throw new SprigError(
      `run ${dir} is not a single training run (its hparams.json has no model/dataset/training groups)`,
      'export one of its training runs: a train or dst run, or a lottery level directory',
    );
  if (String((hp.dataset as { name?: unknown }).name).startsWith(TENSOR_DATASET_PREFIX))
    throw new SprigError(
      `run ${dir} trained on tensors in memory, which the store does not keep, so it cannot be checked here`,
      'export the model that sparsify returned: exportModel(result.model, { format, out })',
    );
  const s = setup(
    validate(trainHparamsSchema, { dataset: hp.dataset, model: hp.model, training: hp.training }),
  );
  return {
    model: s.model,
    dataset: s.dataset,
    weights: loadWeights(weightsPath),
    testAccuracy: result.testAccuracy,
  };
}

/** The test split as a user holds it: pixels in [0, 1] (the normalisation undone). */
export function pixels01(split: Split, ds: Dataset): Split {
  const n = ds.normalisation;
  if (!n) return split;
  const c = n.mean.length;
  const x = new Float32Array(split.x.length);
  for (let i = 0; i < x.length; i++) x[i] = split.x[i]! * n.std[i % c]! + n.mean[i % c]!;
  return { ...split, x };
}

/** Logits of a LayersModel over a split, batch by batch. */
export function predictLayers(
  lm: tfl.LayersModel,
  split: Split,
  shape: number[],
  classes: number,
): Float32Array {
  const per = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(split.n * classes);
  for (let s = 0; s < split.n; s += 500) {
    const n = Math.min(500, split.n - s);
    tf.tidy(() => {
      // in the model's own input shape: a model read from a file may take the pixels flat
      const x = tf.tensor(split.x.subarray(s * per, (s + n) * per), [n, ...inputShapeOf(lm, shape)]);
      out.set((lm.predict(x) as tf.Tensor).dataSync(), s * classes);
    });
  }
  return out;
}

/** The shape of one input of `lm`, where it fixes one; else `shape`. */
function inputShapeOf(lm: tfl.LayersModel, shape: number[]): number[] {
  const own = lm.inputs[0]!.shape.slice(1);
  return own.every((d) => d !== null) ? (own as number[]) : shape;
}

function argmaxAgreement(
  a: Float32Array,
  b: Float32Array,
  k: number,
): { agreement: number; maxDiff: number } {
  let same = 0;
  let maxDiff = 0;
  const argmax = (v: Float32Array, r: number) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (v[r * k + j]! > v[r * k + best]!) best = j;
    return best;
  };
  for (let r = 0; r < a.length / k; r++) if (argmax(a, r) === argmax(b, r)) same++;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
  return { agreement: same / (a.length / k), maxDiff };
}

/**
 * The run as an export names it: its path under the store root (a run id, or a lottery level's
 * place), never the absolute path of the machine it was exported on.
 */
function runName(runDir: string, root = defaultRoot()): string {
  const rel = relative(resolve(root), resolve(runDir));
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : basename(resolve(runDir));
}

/** Exports a finished run; see ExportOptions. */
export async function exportRun(runDir: string, o: ExportOptions): Promise<ExportResult> {
  const run = loadRun(runDir, o.root);
  const { model, dataset, weights } = run;
  const lm = await layersModelOf(model, dataset.normalisation);
  setLayersWeights(lm, weights);
  const artifacts = await artifactsOf(lm);
  lm.dispose();
  const metadata = {
    run: runName(runDir, o.root),
    model: model.name,
    dataset: dataset.name,
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    input: 'NHWC pixels scaled to [0, 1]; the first layer applies the run normalisation',
    normalisation: dataset.normalisation ?? null,
    testAccuracy: run.testAccuracy ?? null,
  };
  const prunable = new Set(model.specs.filter((s) => s.prunable).map((s) => s.name.replace(/\.weight$/, '')));
  const { path, ...written } = writeExport(artifacts, prunable, o, metadata);
  const result: ExportResult = { runDir, ...written };
  if (o.evaluate === false) return result;
  return { ...result, ...(await evaluateExport(path, run)) };
}

/** Loads the export as a user would and compares its predictions with sprig's on the test set. */
async function evaluateExport(path: string, run: LoadedRun) {
  const { model, dataset, weights } = run;
  const vars = new Map<string, tf.Tensor>();
  for (const s of model.specs) vars.set(s.name, tf.tensor(weights.weights.get(s.name)!, s.shape));
  for (const [n, st] of weights.bnStats) {
    const live = model.bnStats.get(n);
    if (live) {
      live.mean.set(st.mean);
      live.variance.set(st.variance);
    }
  }
  const params = Object.fromEntries(vars);
  const ours = predict(model, () => params, dataset.test);
  tf.dispose([...vars.values()]);
  // on TF.js, as a page runs it: the check is of the file, not of the compiled forward
  const lm = await loadExportOnTfjs(path, undefined, { maxBytes: Infinity }); // sprig wrote it just now
  const theirs = predictLayers(lm, pixels01(dataset.test, dataset), model.inputShape, model.numClasses);
  // sprig computes logits (a final softmax belongs to its loss); a model that keeps it outputs probabilities
  const compared = endsInSoftmax(lm) ? 'probabilities' : 'logits';
  lm.dispose();
  const like = compared === 'logits' ? ours : softmaxRows(ours, model.numClasses);
  const { agreement, maxDiff } = argmaxAgreement(like, theirs, model.numClasses);
  return {
    sprigTestAccuracy: metricsFromLogits(ours, dataset.test.y, model.numClasses).accuracy,
    exportTestAccuracy: metricsFromLogits(theirs, dataset.test.y, model.numClasses).accuracy,
    agreement,
    maxLogitDiff: maxDiff,
    compared,
  } as const;
}

function endsInSoftmax(lm: tfl.LayersModel): boolean {
  return lm.outputs[0]!.sourceLayer.getConfig().activation === 'softmax';
}

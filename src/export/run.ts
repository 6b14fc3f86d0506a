/**
 * `sprig export`: a finished run's model and final weights as a TF.js LayersModel (model.json +
 * weights.bin) or as sprig's compact sparse file, checked by loading the export back the way a user
 * would and predicting the run's test set from [0, 1] pixels.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../engine/index.js';
import { trainHparamsSchema, validate } from '../experiments/hparams.js';
import { setup } from '../experiments/setup.js';
import { loadWeights, type StoredWeights } from '../experiments/run.js';
import { artifactPath, readJson } from '../store/artifacts.js';
import { finishedResult } from '../store/verify.js';
import type { Dataset, Split } from '../data/types.js';
import type { Model } from '../models/types.js';
import { predict, metricsFromLogits } from '../training/evaluate.js';
import { SprigError } from '../util/errors.js';
import type { Layout, ValueFormat } from '../loader/format.js';
import { artifactsOf, layersModelOf, modelJsonOf, setLayersWeights, weightBytes } from './tfjs.js';
import { sparseExportOf, type Int8Scale } from './sparse.js';
import { loadExport } from './load.js';
import { decodeSparse } from '../loader/decode.js';

import { EXPORT_FORMATS, type ExportFormat } from './formats.js';
export { EXPORT_FORMATS, type ExportFormat } from './formats.js';

export interface ExportOptions {
  format: ExportFormat;
  /** tfjs: a directory (model.json, weights.bin); sparse: a file (default extension .sprig). */
  out: string;
  /** Sparse format: how prunable weights' values are stored (default fp16). */
  values?: ValueFormat;
  /** int8: one scale per output channel (default) or per tensor. */
  int8Scale?: Int8Scale;
  /** Load the export back and measure its test accuracy (default true). */
  evaluate?: boolean;
  /** The run store the run is in (named in the fix when its files are damaged). */
  root?: string;
}

export interface ExportResult {
  runDir: string;
  format: ExportFormat;
  files: { path: string; bytes: number }[];
  /** Bytes written, all files. */
  bytes: number;
  /** The same weights as dense fp32 (what the TF.js format's weights.bin holds). */
  denseWeightBytes: number;
  /** bytes / denseWeightBytes. */
  sizeRatio: number;
  values?: ValueFormat;
  layouts?: Record<string, Layout>;
  /** Test accuracy of the stored weights in sprig, and of the export loaded with TF.js from [0, 1] pixels. */
  sprigTestAccuracy?: number;
  exportTestAccuracy?: number;
  /** Fraction of test examples where both predict the same class, and the largest logit difference. */
  agreement?: number;
  maxLogitDiff?: number;
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
      const x = tf.tensor4d(split.x.subarray(s * per, (s + n) * per), [n, ...shape] as never);
      out.set((lm.predict(x) as tf.Tensor).dataSync(), s * classes);
    });
  }
  return out;
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

function write(path: string, bytes: Uint8Array | ArrayBuffer): { path: string; bytes: number } {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  return { path, bytes: statSync(path).size };
}

/** Exports a finished run; see ExportOptions. */
export async function exportRun(runDir: string, o: ExportOptions): Promise<ExportResult> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(o.format))
    throw new SprigError(
      `unknown export format '${o.format}'`,
      `use --format ${EXPORT_FORMATS.join(' or ')}`,
    );
  const run = loadRun(runDir, o.root);
  const { model, dataset, weights } = run;
  const lm = await layersModelOf(model, dataset.normalisation);
  setLayersWeights(lm, weights);
  const artifacts = await artifactsOf(lm);
  const data = weightBytes(artifacts);
  const metadata = {
    run: runDir,
    model: model.name,
    dataset: dataset.name,
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    input: 'NHWC pixels scaled to [0, 1]; the first layer applies the run normalisation',
    normalisation: dataset.normalisation ?? null,
    testAccuracy: run.testAccuracy ?? null,
  };
  let files: ExportResult['files'];
  let layouts: Record<string, Layout> | undefined;
  let path: string;
  if (o.format === 'tfjs') {
    path = join(o.out, 'model.json');
    files = [
      write(path, Buffer.from(JSON.stringify(modelJsonOf(artifacts, metadata)))),
      write(join(o.out, 'weights.bin'), data),
    ];
  } else {
    const bytes = sparseExportOf(model, artifacts, {
      values: o.values ?? 'fp16',
      int8Scale: o.int8Scale ?? 'channel',
      metadata,
    });
    path = /\.[a-z0-9]+$/i.test(o.out) ? o.out : `${o.out}.sprig`;
    files = [write(path, bytes)];
    const { manifest } = decodeSparse(bytes, path);
    layouts = Object.fromEntries(
      manifest.weights
        .filter((w) => w.layout !== 'dense' || w.values !== 'fp32')
        .map((w) => [w.name, w.layout]),
    );
  }
  lm.dispose();
  const total = files.reduce((a, f) => a + f.bytes, 0);
  const result: ExportResult = {
    runDir,
    format: o.format,
    files,
    bytes: total,
    denseWeightBytes: data.byteLength,
    sizeRatio: total / data.byteLength,
    ...(o.format === 'sparse' ? { values: o.values ?? 'fp16', layouts } : {}),
  };
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
  const lm = await loadExport(path);
  const theirs = predictLayers(lm, pixels01(dataset.test, dataset), model.inputShape, model.numClasses);
  lm.dispose();
  const { agreement, maxDiff } = argmaxAgreement(ours, theirs, model.numClasses);
  return {
    sprigTestAccuracy: metricsFromLogits(ours, dataset.test.y, model.numClasses).accuracy,
    exportTestAccuracy: metricsFromLogits(theirs, dataset.test.y, model.numClasses).accuracy,
    agreement,
    maxLogitDiff: maxDiff,
  };
}

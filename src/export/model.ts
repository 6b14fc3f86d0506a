/**
 * Writing an export: a model's TF.js artifacts as a TF.js LayersModel (model.json + weights.bin) or
 * as sprig's compact sparse file. `exportModel` does it for any tf.LayersModel in memory; `exportRun`
 * (run.ts) for a finished run's model, which it then checks.
 */
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { tf } from '../engine/index.js';
import { writeAtomic } from '../store/atomic.js';
import { ioError } from '../store/faults.js';
import { ensureDir } from '../store/store.js';
import { SprigError } from '../util/errors.js';
import type { Layout, ValueFormat } from '../loader/format.js';
import { decodeSparse } from '../loader/decode.js';
import { artifactsOf, modelJsonOf, weightBytes } from './tfjs.js';
import { sparseExportOfLayers, type Int8Scale } from './sparse.js';
import { EXPORT_FORMATS, TFJS_QUANTIZE, type ExportFormat, type TfjsQuantize } from './formats.js';
import { quantizeWeights } from './tfjs-quantize.js';

export interface ModelExportOptions {
  format: ExportFormat;
  /** tfjs: a directory (model.json, weights.bin); sparse: a file (default extension .sprig). */
  out: string;
  /** Sparse format: how prunable weights' values are stored (default fp16). */
  values?: ValueFormat;
  /** int8: one scale per output channel (default) or per tensor. */
  int8Scale?: Int8Scale;
  /**
   * TF.js format: store the prunable kernels with TF.js's own weight quantisation (uint8 or
   * float16 in the weights manifest), which tf.loadLayersModel undoes; default none (fp32).
   */
  quantize?: TfjsQuantize;
}

/** What an export wrote. */
export interface ModelExportResult {
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
  quantize?: TfjsQuantize;
}

/** The layers whose kernels sprig prunes, as in its model readers: every Dense and Conv2D. */
const PRUNABLE_LAYERS = new Set(['Dense', 'Conv2D']);

/**
 * Exports any tf.LayersModel (a `sparsify` result, or a model of your own): the kernels of its Dense
 * and Conv2D layers take the sparse format's value format and cheapest layout.
 */
export async function exportModel(lm: tfl.LayersModel, o: ModelExportOptions): Promise<ModelExportResult> {
  const prunable = new Set(lm.layers.filter((l) => PRUNABLE_LAYERS.has(l.getClassName())).map((l) => l.name));
  const { path: _path, ...r } = writeExport(await artifactsOf(lm), prunable, o, { model: lm.name });
  return r;
}

/** Writes atomically: a full or read-only disk ends in one error with the fix, and no partial file. */
function write(path: string, bytes: Uint8Array | ArrayBuffer): { path: string; bytes: number } {
  try {
    ensureDir(dirname(path));
  } catch (e) {
    throw ioError('create the export directory', dirname(path), e);
  }
  writeAtomic(path, [bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)]);
  return { path, bytes: statSync(path).size };
}

/**
 * Writes artifacts in the chosen format, with sprig's metadata; `prunable` names the layers whose
 * kernels are sparse. Returns what it wrote and the path a loader opens.
 */
export function writeExport(
  a: tf.io.ModelArtifacts,
  prunable: Set<string>,
  o: ModelExportOptions,
  metadata: Record<string, unknown>,
): ModelExportResult & { path: string } {
  if (!(EXPORT_FORMATS as readonly string[]).includes(o.format))
    throw new SprigError(
      `unknown export format '${o.format}'`,
      `use --format ${EXPORT_FORMATS.join(' or ')}`,
    );
  const data = weightBytes(a);
  const sized = (path: string, files: { path: string; bytes: number }[]) => {
    const bytes = files.reduce((n, f) => n + f.bytes, 0);
    return { path, format: o.format, files, bytes, denseWeightBytes: data.byteLength };
  };
  if (o.format === 'tfjs') {
    const r = sized(...writeTfjs(a, data, prunable, o, metadata));
    return { ...r, sizeRatio: r.bytes / data.byteLength, ...(o.quantize && { quantize: o.quantize }) };
  }
  if (o.quantize)
    throw new SprigError(
      `quantize '${o.quantize}' is TF.js's weight quantisation, for the tfjs format`,
      'use --format tfjs --quantize …, or the sparse format’s own --values fp16|int8',
    );
  const values = o.values ?? 'fp16';
  const bytes = sparseExportOfLayers(prunable, a, { values, int8Scale: o.int8Scale ?? 'channel', metadata });
  const path = /\.[a-z0-9]+$/i.test(o.out) ? o.out : `${o.out}.sprig`;
  const r = sized(path, [write(path, bytes)]);
  const { manifest } = decodeSparse(bytes, path, { maxBytes: Infinity }); // its own bytes: no limit
  const layouts = Object.fromEntries(
    manifest.weights
      .filter((w) => w.layout !== 'dense' || w.values !== 'fp32')
      .map((w) => [w.name, w.layout]),
  );
  return { ...r, sizeRatio: r.bytes / data.byteLength, values, layouts };
}

/** model.json + weights.bin, the prunable kernels quantised by TF.js's rule when asked. */
function writeTfjs(
  a: tf.io.ModelArtifacts,
  data: ArrayBuffer,
  prunable: Set<string>,
  o: ModelExportOptions,
  metadata: Record<string, unknown>,
): [string, { path: string; bytes: number }[]] {
  if (o.quantize && !(TFJS_QUANTIZE as readonly string[]).includes(o.quantize))
    throw new SprigError(
      `unknown TF.js quantisation '${o.quantize}'`,
      `use --quantize ${TFJS_QUANTIZE.join(' or ')}`,
    );
  const q = o.quantize
    ? quantizeWeights(a.weightSpecs ?? [], data, prunable, o.quantize)
    : { specs: a.weightSpecs ?? [], data };
  const path = join(o.out, 'model.json');
  // weights first: a model.json on disk always has its weights beside it
  const weights = write(join(o.out, 'weights.bin'), q.data);
  const json = modelJsonOf({ ...a, weightSpecs: q.specs }, metadata);
  return [path, [write(path, Buffer.from(JSON.stringify(json))), weights]];
}

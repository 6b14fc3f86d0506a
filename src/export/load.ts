/**
 * Loading an export in Node: a TF.js model directory (model.json + weights) or a sprig sparse file,
 * through TF.js's own loadLayersModel (tfjs-layers on the CPU backend).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../engine/index.js';
import { readModelFile } from '../models/layers-model.js';
import { compileLayersModel } from './compiled-predict.js';
import { loadSparseModel, type DecodedModel, type SizeLimits } from '../loader/index.js';

/**
 * A loaded export. A chain of Dense layers predicts each batch in one native call, its sparse
 * kernels on the sparse engine (compiled-predict.ts; SPRIG_INFER_ENGINE=tfjs keeps TF.js); any
 * other model runs on TF.js's CPU backend. Sparse files pass their decoded sparse tensors to
 * `onDecoded`. A sparse file is checked as the browser loader checks it, within `limits.maxBytes`
 * (default 256 MiB).
 */
export async function loadExport(
  path: string,
  onDecoded?: (d: DecodedModel) => void,
  limits: SizeLimits = {},
): Promise<tfl.LayersModel> {
  const lm = await loadExportOnTfjs(path, onDecoded, limits);
  compileLayersModel(lm);
  return lm;
}

/** The export as TF.js runs it, never compiled: what a page gets (exportRun checks the file so). */
export async function loadExportOnTfjs(
  path: string,
  onDecoded?: (d: DecodedModel) => void,
  limits: SizeLimits = {},
): Promise<tfl.LayersModel> {
  if (statSync(path).isDirectory()) path = join(path, 'model.json');
  if (path.endsWith('.json')) {
    const f = readModelFile(path);
    const data = f.weightData.slice().buffer;
    return tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: f.topology,
        weightSpecs: f.weightSpecs as tf.io.WeightsManifestEntry[],
        weightData: data,
      }),
    );
  }
  return loadSparseModel(new Uint8Array(readFileSync(path)), { onDecoded, name: path, ...limits });
}

/**
 * Loading an export in Node: a TF.js model directory (model.json + weights) or a sprig sparse file,
 * through TF.js's own loadLayersModel (tfjs-layers on the CPU backend).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../engine/index.js';
import { readModelFile } from '../models/layers-model.js';
import { loadSparseModel, type DecodedModel, type SizeLimits } from '../loader/index.js';

/**
 * A loaded export. Sparse files pass their decoded sparse tensors to `onDecoded`: the hook where the
 * native sparse kernels of the sparse-speed issue (13) will take over the sparse layers in Node;
 * today every layer runs dense on TF.js's CPU backend. A sparse file is checked as the browser
 * loader checks it, within `limits.maxBytes` (default 256 MiB).
 */
export async function loadExport(
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

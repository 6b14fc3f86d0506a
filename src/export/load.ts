/**
 * Loading an export in Node: a TF.js model directory (model.json + weights) or a sprig sparse file,
 * through TF.js's own loadLayersModel (tfjs-layers on the CPU backend).
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../engine/index.js';
import { loadSparseModel, type DecodedModel } from '../loader/index.js';
import { SprigError } from '../util/errors.js';

/** A TF.js model.json and its weight files, read from disk as tf.io.ModelArtifacts. */
export function readTfjsArtifacts(modelJson: string): tf.io.ModelArtifacts {
  let json: {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    userDefinedMetadata?: Record<string, object>;
  };
  try {
    json = JSON.parse(readFileSync(modelJson, 'utf8'));
  } catch (e) {
    throw new SprigError(
      `cannot read TF.js model ${modelJson} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'pass the model.json of a TF.js LayersModel (tf.LayersModel.save writes one)',
    );
  }
  if (!json.modelTopology)
    throw new SprigError(`${modelJson} has no modelTopology`, 'pass the model.json of a TF.js LayersModel');
  const groups = json.weightsManifest ?? [];
  const buffers = groups.flatMap((g) => g.paths.map((p) => readFileSync(join(dirname(modelJson), p))));
  const data = Buffer.concat(buffers);
  return {
    modelTopology: json.modelTopology,
    weightSpecs: groups.flatMap((g) => g.weights),
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    userDefinedMetadata: json.userDefinedMetadata,
  };
}

/**
 * A loaded export. Sparse files pass their decoded sparse tensors to `onDecoded`: the hook where the
 * native sparse kernels of the sparse-speed issue will take over the sparse layers in Node (today
 * every layer runs dense on TF.js's CPU backend).
 */
export async function loadExport(
  path: string,
  onDecoded?: (d: DecodedModel) => void,
): Promise<tfl.LayersModel> {
  if (statSync(path).isDirectory()) path = join(path, 'model.json');
  if (path.endsWith('.json')) return tfl.loadLayersModel(tf.io.fromMemory(readTfjsArtifacts(path)));
  return loadSparseModel(new Uint8Array(readFileSync(path)), { onDecoded });
}

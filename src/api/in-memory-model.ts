/**
 * A tf.LayersModel in memory as the model.json a `--model` flag names: serialised as
 * tf.LayersModel.save writes it and kept in the run store under its content hash, so the one
 * model-file path (its sha256 in the run id, `from-model` init) runs it unchanged.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { modelFileSha256, modelSha256, type ModelFile, type ModelInit } from '../models/layers-model.js';
import { artifactsOf, modelJsonOf, weightBytes } from '../export/tfjs.js';
import { writeAtomic } from '../store/atomic.js';
import { ensureDir } from '../store/store.js';

/** Where under a store root the model files of in-memory models live (not run directories). */
export const MODELS_DIR = 'models';

/** The model group of the stored file: its path, its sha256 (as the CLI computes it) and the init. */
export interface StoredModel {
  name: string;
  sha256: string;
  init: ModelInit;
}

/**
 * Stores `lm` under `root` and names it. Under 'fresh' init sprig draws the weights from the seed,
 * so only the topology is kept: the same architecture is the same model, whatever its random weights.
 */
export async function storeLayersModel(
  lm: tfl.LayersModel,
  root: string,
  init: ModelInit,
): Promise<StoredModel> {
  const a = await artifactsOf(lm);
  const keep = init === 'from-model';
  const file: ModelFile = {
    topology: a.modelTopology as object,
    weightSpecs: keep ? (a.weightSpecs ?? []) : [],
    weightData: keep ? new Uint8Array(weightBytes(a)) : new Uint8Array(0),
  };
  const dir = join(root, MODELS_DIR, modelSha256(file).slice(0, 16));
  const path = join(dir, 'model.json');
  if (!existsSync(path)) {
    ensureDir(dir);
    const json = modelJsonOf(a, { model: lm.name }) as Partial<ReturnType<typeof modelJsonOf>>;
    // weights first: a model.json on disk always has its weights beside it
    if (keep) writeAtomic(join(dir, 'weights.bin'), [file.weightData]);
    else delete json.weightsManifest;
    writeAtomic(path, [Buffer.from(JSON.stringify(json))]);
  }
  return { name: path, sha256: modelFileSha256(path), init };
}

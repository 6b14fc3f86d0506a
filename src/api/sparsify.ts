/**
 * `sparsify(model, data, options)`: sparse training of a tf.LayersModel in memory (or a zoo model)
 * on your own tensors (or a built-in dataset), as `sprig dst` runs it: the dst kind's recipe and
 * defaults, the same run ids, stored and cached. The result comes back as a tf.LayersModel.
 */
import { join } from 'node:path';
import type { z } from 'zod';
import type * as tfl from '@tensorflow/tfjs-layers';
import { KINDS } from '../experiments/kinds.js';
import { underRecipe, type Groups } from '../experiments/kind.js';
import type { dstSchema, DstHparams, DstResult } from '../experiments/dst.js';
import type { trainingSchema } from '../experiments/hparams.js';
import { loadData } from '../experiments/setup.js';
import { loadWeights, WEIGHTS_FILE } from '../experiments/run.js';
import type { Dataset } from '../data/types.js';
import { createModelFrom } from '../models/registry.js';
import type { ModelInit } from '../models/layers-model.js';
import { layersModelOf, setLayersWeights } from '../export/tfjs.js';
import { observing, withStoreOrTemporary, type RunOptions } from './run-options.js';
import { tensorDataset, type TensorData } from '../data/tensors.js';
import { storeLayersModel } from './in-memory-model.js';

type DstInput = z.input<typeof dstSchema>;

export interface SparsifyOptions extends RunOptions {
  /** Sparse-training method (default rigl, as `sprig dst`). */
  method?: DstInput['method'];
  /** Target sparsity S, the fraction of prunable weights that are zero (default 0.9). */
  sparsity?: number;
  /** Per-layer sparsity: uniform, er, erk (default) or custom. */
  distribution?: DstInput['distribution'];
  /** Any other field of `sprig dst`'s dst group (deltaT, dropFraction, tEnd, …). */
  dst?: DstInput;
  /** The training recipe over `sprig dst`'s (SGD momentum 0.9, lr 0.05 cosine, wd 5e-4, batch 128, 10 epochs). */
  training?: z.input<typeof trainingSchema>;
  /** 'fresh' (default, as `sprig dst`): weights drawn from the seed; 'from-model': start from the model's own. */
  init?: ModelInit;
  /** Test data for the accuracy reported; default: the training data. */
  test?: TensorData;
}

export interface Sparsified {
  /** The trained sparse network (pruned weights are zero), with the input model's layers. */
  model: tfl.LayersModel;
  result: DstResult;
}

/**
 * Sparse-trains `model` on `data` and returns it trained, with its run's result. With `root` (or
 * `store`) the run is stored there and cached by its id, which hashes the model's topology (and its
 * weights under 'from-model'), the data's content and the settings: the same script runs once.
 */
export async function sparsify(
  model: tfl.LayersModel | string,
  data: TensorData | string,
  o: SparsifyOptions = {},
): Promise<Sparsified> {
  return withStoreOrTemporary(o, async (store) => {
    const given = typeof data === 'string' ? undefined : ownData(model, data, o.test);
    const modelGroup =
      typeof model === 'string'
        ? { name: model, init: o.init }
        : await storeLayersModel(model, store.root, o.init ?? 'fresh');
    const { hp } = KINDS.dst.identify(
      underRecipe(KINDS.dst, groupsOf(modelGroup, given?.name ?? (data as string), o)),
    );
    const dataset = given ?? loadData(hp.dataset, hp.training.seed);
    const result = KINDS.dst.run(hp, { store, dataset, ...observing(o) });
    return { model: await trainedModel(hp, dataset, result.runDir), result };
  });
}

/** The user's tensors as a dataset with the model's class count. */
function ownData(model: tfl.LayersModel | string, data: TensorData, test?: TensorData): Dataset {
  const numClasses = typeof model === 'string' ? undefined : (model.outputs[0]!.shape.at(-1) ?? undefined);
  return tensorDataset(data, { test, numClasses });
}

/** The hyperparameter groups the options name (unset fields left to the recipe and the schema). */
function groupsOf(model: object, dataset: string, o: SparsifyOptions): Groups {
  const picked = { method: o.method, sparsity: o.sparsity, distribution: o.distribution };
  const dst = { ...o.dst, ...Object.fromEntries(Object.entries(picked).filter(([, v]) => v !== undefined)) };
  const defined = Object.fromEntries(Object.entries(model).filter(([, v]) => v !== undefined));
  return { dataset: { name: dataset }, model: defined, training: { ...o.training }, dst };
}

/** The run's final weights in a LayersModel of the model's own layers (built-in data: normalisation first). */
async function trainedModel(hp: DstHparams, ds: Dataset, runDir: string): Promise<tfl.LayersModel> {
  const m = createModelFrom(hp.model, ds.inputShape, ds.numClasses);
  const lm = await layersModelOf(m, ds.normalisation);
  setLayersWeights(lm, loadWeights(join(runDir, WEIGHTS_FILE)));
  return lm;
}

/**
 * `sparsify(model, data, options)`: sparse training of a tf.LayersModel in memory (or a zoo model)
 * on your own tensors or tf.data.Dataset (or a built-in dataset), as `sprig dst` runs it: the dst
 * kind's recipe and defaults, the same run ids, stored and cached. The result comes back as a
 * tf.LayersModel.
 */
import { join } from 'node:path';
import type { z } from 'zod';
import type * as tfl from '@tensorflow/tfjs-layers';
import { KINDS } from '../experiments/kinds.js';
import { underRecipe } from '../experiments/kind.js';
import type { dstSchema, DstResult } from '../experiments/dst.js';
import { loadData } from '../experiments/setup.js';
import { loadWeights, WEIGHTS_FILE } from '../experiments/run.js';
import { SprigError } from '../util/errors.js';
import { methodDef } from '../algorithms/index.js';
import { observing, withStoreOrTemporary } from './run-options.js';
import { inputsOf, type DataArg, type InMemoryOptions, type ModelArg } from './inputs.js';
import { layersModelFrom } from './run-models.js';

type DstInput = z.input<typeof dstSchema>;

export interface SparsifyOptions extends InMemoryOptions {
  /** Sparse-training method (default rigl, as `sprig dst`). */
  method?: DstInput['method'];
  /** Target sparsity S, the fraction of prunable weights that are zero (default 0.9). */
  sparsity?: number;
  /** Per-layer sparsity: uniform, er, erk (default) or custom. */
  distribution?: DstInput['distribution'];
  /** Any other field of `sprig dst`'s dst group (deltaT, dropFraction, tEnd, …). */
  dst?: DstInput;
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
export async function sparsify(model: ModelArg, data: DataArg, o: SparsifyOptions = {}): Promise<Sparsified> {
  return withStoreOrTemporary(o, async (store) => {
    const inputs = await inputsOf(store, model, data, o);
    const groups = { ...inputs.groups, training: { ...o.training }, dst: dstGroup(o) };
    const { hp } = KINDS.dst.identify(underRecipe(KINDS.dst, groups));
    if (hp.dst.method === 'small_dense' && typeof model !== 'string')
      throw new SprigError(
        "small_dense trains a narrower MLP than the model given, so it cannot come back as that model's layers",
        "run small_dense on a zoo MLP (sparsify('mlp_300_100', data, { method: 'small_dense' })), or compare with `sprig dst --method small_dense`",
      );
    const dataset = inputs.dataset ?? loadData(hp.dataset, hp.training.seed);
    const result = KINDS.dst.run(hp, { store, dataset, ...observing(o) });
    // a method that trains another network than the reference (small_dense) names it in the result
    const trained = methodDef(hp.dst.method).model
      ? { name: result.model, init: 'fresh' as const }
      : hp.model;
    const weights = loadWeights(join(result.runDir, WEIGHTS_FILE));
    return { model: await layersModelFrom(trained, dataset, weights), result };
  });
}

/** The dst group the options name (unset fields left to the recipe and the schema). */
function dstGroup(o: SparsifyOptions): Record<string, unknown> {
  const picked = { method: o.method, sparsity: o.sparsity, distribution: o.distribution };
  return { ...o.dst, ...Object.fromEntries(Object.entries(picked).filter(([, v]) => v !== undefined)) };
}

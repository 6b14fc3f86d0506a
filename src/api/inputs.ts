/**
 * What every in-memory function (sparsify, prune, lotteryTicket) makes of its model and data
 * arguments: the model group of its run (a zoo name, or the model stored as a model.json) and the
 * dataset (a built-in one by name, or the user's tensors or tf.data.Dataset, named by content hash).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { z } from 'zod';
import type { Dataset } from '../data/types.js';
import { tensorDataset, type TensorData } from '../data/tensors.js';
import { isTfDataset, readTfDataset, type TfDataset } from '../data/tfdata.js';
import type { trainingSchema } from '../experiments/hparams.js';
import type { ModelInit } from '../models/layers-model.js';
import type { RunStore } from '../store/store.js';
import { tf } from '../engine/index.js';
import { storeLayersModel } from './in-memory-model.js';
import type { RunOptions } from './run-options.js';

/** A model: your tf.LayersModel, or a zoo name ('mnist_lenet_300_100', 'mlp_300_100', …). */
export type ModelArg = tfl.LayersModel | string;

/** Data: `{x, y}` tensors, a tf.data.Dataset of `{xs, ys}` or `[x, y]` (batched or not), or a dataset name. */
export type DataArg = TensorData | TfDataset | string;

/** The options every in-memory function takes besides its method's own. */
export interface InMemoryOptions extends RunOptions {
  /** The training recipe over the command's own (each function's doc names it). */
  training?: z.input<typeof trainingSchema>;
  /** 'fresh' (default, as the CLI): weights drawn from the seed; 'from-model': start from the model's own. */
  init?: ModelInit;
  /** Test data for the accuracy reported (tensors or a tf.data.Dataset); default: the training data. */
  test?: TensorData | TfDataset;
}

/** The model and dataset groups of a run, and the dataset itself when it is the user's. */
export interface Inputs {
  groups: { model: Record<string, unknown>; dataset: { name: string } };
  dataset?: Dataset;
}

export async function inputsOf(
  store: RunStore,
  model: ModelArg,
  data: DataArg,
  o: InMemoryOptions,
): Promise<Inputs> {
  const dataset = typeof data === 'string' ? undefined : await ownData(model, data, o.test);
  const group =
    typeof model === 'string'
      ? { name: model, init: o.init }
      : await storeLayersModel(model, store.root, o.init ?? 'fresh');
  const defined = Object.fromEntries(Object.entries(group).filter(([, v]) => v !== undefined));
  return { groups: { model: defined, dataset: { name: dataset?.name ?? (data as string) } }, dataset };
}

/** The user's data as a dataset with the model's class count (tf.data.Datasets read in first). */
async function ownData(model: ModelArg, data: TensorData | TfDataset, test?: TensorData | TfDataset) {
  const lm = typeof model === 'string' ? undefined : model;
  const inputRank = lm?.inputs[0]!.shape.length;
  const read = async (d: TensorData | TfDataset, what: string) =>
    isTfDataset(d)
      ? { tensors: await readTfDataset(d, { inputRank, what }), own: true }
      : { tensors: d, own: false };
  const train = await read(data, 'data');
  const testData = test && (await read(test, 'test data'));
  try {
    const numClasses = lm?.outputs[0]!.shape.at(-1) ?? undefined;
    return tensorDataset(train.tensors, { test: testData?.tensors, numClasses });
  } finally {
    // the tensors read from a tf.data.Dataset are sprig's own: the dataset holds copies
    for (const r of [train, testData]) if (r?.own) tf.dispose([r.tensors.x, r.tensors.y]);
  }
}

/**
 * Progress callbacks that also note whether anything trained: a run whose every training part was
 * stored calls none, so `cached` is true exactly when the call trained nothing.
 */
export function watchTraining(o: RunOptions) {
  let trained = false;
  const callbacks = (label: string) => {
    trained = true;
    return o.callbacks?.(label) ?? {};
  };
  return { callbacks, cached: () => !trained };
}

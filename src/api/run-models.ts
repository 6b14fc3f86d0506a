/**
 * A stored run's weights as a tf.LayersModel of the run's own model: the user's layers for a model
 * stored from memory, a zoo model's TF.js layers (after the built-in data's normalisation) otherwise.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '../data/types.js';
import type { ModelHparams } from '../experiments/hparams.js';
import { createModelFrom } from '../models/registry.js';
import { layersModelOf, setLayersWeights } from '../export/tfjs.js';
import type { StoredWeights } from '../store/artifacts.js';

export async function layersModelFrom(
  model: ModelHparams,
  ds: Dataset,
  w: StoredWeights,
): Promise<tfl.LayersModel> {
  const m = createModelFrom(model, ds.inputShape, ds.numClasses);
  const lm = await layersModelOf(m, ds.normalisation);
  setLayersWeights(lm, w);
  return lm;
}

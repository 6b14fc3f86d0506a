/**
 * A sprig model with its trained weights as a TF.js LayersModel: the layer graph (zoo plan, or the
 * topology a model was read from), an input-normalisation layer in front so that users feed pixels
 * in [0, 1], and the weights (batch-norm running statistics included) under TF.js's weight names.
 */
import { tf } from '../engine/index.js';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Model } from '../models/types.js';
import type { Normalisation } from '../data/types.js';
import type { StoredWeights } from '../experiments/run.js';
import { SprigError } from '../util/errors.js';
import { zooBody } from './zoo-layers.js';
import { NORMALISATION_LAYER } from '../loader/format.js';
import { layersTopologyOf } from '../models/layers-model.js';

/** x' = (x − mean)/std as one Rescaling layer (per-channel arrays broadcast over the last axis). */
function normalisationLayer(n: Normalisation) {
  const scale = n.std.map((s) => 1 / s);
  const offset = n.mean.map((m, c) => -m / n.std[c]!);
  return tfl.layers.rescaling({
    name: NORMALISATION_LAYER,
    scale: (scale.length === 1 ? scale[0] : scale) as number,
    offset: (offset.length === 1 ? offset[0] : offset) as number,
  });
}

/** The model's TF.js graph with fresh weights. */
export async function layersModelOf(model: Model, normalisation?: Normalisation): Promise<tfl.LayersModel> {
  const read = layersTopologyOf(model);
  if (read) {
    const topology = normalisation ? withNormalisation(read, normalisation) : read;
    return tfl.models.modelFromJSON({ modelTopology: topology } as never);
  }
  const input = tfl.input({ name: 'input', shape: model.inputShape });
  let x = input;
  if (normalisation) x = normalisationLayer(normalisation).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ name: model.name, inputs: input, outputs: zooBody(model, x) });
}

type KerasLayer = {
  class_name: string;
  name?: string;
  config: Record<string, unknown>;
  inbound_nodes?: unknown[][][];
};

/**
 * A read model's topology with the normalisation layer put right after its input (a copy; a
 * topology that already has one, e.g. a sprig export read back, is returned as it is).
 */
export function withNormalisation(topology: object, n: Normalisation): object {
  const t = structuredClone(topology) as Record<string, unknown>;
  const root = (t.model_config ?? t) as {
    class_name: string;
    config: Record<string, unknown> | KerasLayer[];
  };
  const layers = (Array.isArray(root.config) ? root.config : root.config.layers) as KerasLayer[];
  if (layers.some((l) => (l.config.name ?? l.name) === NORMALISATION_LAYER)) return t;
  const marker: KerasLayer = {
    class_name: 'Rescaling',
    config: { ...normalisationLayer(n).getConfig(), name: NORMALISATION_LAYER, trainable: false },
  };
  if (root.class_name === 'Sequential') {
    if (layers[0]!.class_name === 'InputLayer') layers.splice(1, 0, marker);
    else {
      const first = layers[0]!.config;
      marker.config.batch_input_shape = first.batch_input_shape ?? first.batchInputShape;
      delete first.batch_input_shape;
      delete first.batchInputShape;
      layers.unshift(marker);
    }
    return t;
  }
  const input = ((root.config as Record<string, unknown>).input_layers as [string][])[0]![0];
  for (const l of layers)
    l.inbound_nodes = l.inbound_nodes?.map((node) =>
      node.map((ref) =>
        (ref as unknown[])[0] === input ? [NORMALISATION_LAYER, ...(ref as unknown[]).slice(1)] : ref,
      ),
    );
  marker.name = NORMALISATION_LAYER;
  marker.inbound_nodes = [[[input, 0, 0, {}]]];
  layers.splice(layers.findIndex((l) => (l.name ?? l.config.name) === input) + 1, 0, marker);
  return t;
}

/** TF.js weight name ('fc1/kernel', 'bn1/moving_mean') → the sprig array holding it. */
function sprigArray(w: StoredWeights, tfName: string): Float32Array | undefined {
  const cut = tfName.lastIndexOf('/');
  const layer = tfName.slice(0, cut).replace(/^.*\//, '');
  const field = tfName.slice(cut + 1).replace(/_\d+$/, '');
  const stats = w.bnStats.get(layer);
  switch (field) {
    case 'kernel':
    case 'gamma':
      return w.weights.get(`${layer}.weight`);
    case 'bias':
    case 'beta':
      return w.weights.get(`${layer}.bias`);
    case 'moving_mean':
      return stats?.mean;
    case 'moving_variance':
      return stats?.variance;
  }
  return undefined;
}

/** Copies sprig's weights into the LayersModel; every TF.js weight must have its sprig array. */
export function setLayersWeights(lm: tfl.LayersModel, w: StoredWeights): void {
  const values = lm.weights.map((v) => {
    const a = sprigArray(w, v.originalName);
    const shape = v.shape as number[];
    const size = shape.reduce((x, y) => x * y, 1);
    if (!a || a.length !== size)
      throw new SprigError(
        `the run has no weights for TF.js weight '${v.originalName}' (shape ${shape.join('×')})`,
        'the run and its model do not match; export a run trained by this version of sprig',
      );
    return tf.tensor(a, shape);
  });
  lm.setWeights(values);
  tf.dispose(values);
}

/** model.json + weight bytes, as tf.LayersModel.save produces them. */
export async function artifactsOf(lm: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let out: tf.io.ModelArtifacts | undefined;
  await lm.save(
    tf.io.withSaveHandler(async (a) => {
      out = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

/** The weight bytes of artifacts as one ArrayBuffer (TF.js may hand them as a list of shards). */
export function weightBytes(a: tf.io.ModelArtifacts): ArrayBuffer {
  const d = a.weightData;
  if (!d) return new ArrayBuffer(0);
  return Array.isArray(d) ? tf.io.concatenateArrayBuffers(d) : d;
}

/** A TF.js model.json (weights in one file, weights.bin) for artifacts, with sprig's metadata. */
export function modelJsonOf(a: tf.io.ModelArtifacts, metadata: Record<string, unknown>) {
  return {
    format: 'layers-model',
    generatedBy: 'sprig',
    convertedBy: null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
    userDefinedMetadata: { sprig: metadata },
  };
}

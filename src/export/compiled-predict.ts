/**
 * `loadExport`'s compiled forward: a loaded model that is a chain of Dense layers (after sprig's
 * input normalisation) predicts a whole batch in one native call (engine/compiled/infer.ts)
 * instead of TF.js's op-by-op graph; anything else, or SPRIG_INFER_ENGINE=tfjs, stays on TF.js.
 * Kernels with zeros run on the sparse kernels where the sparse engine says so.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  bindSparseLayers,
  compileInference,
  tf,
  type ChainLayer,
  type ChainPredictor,
} from '../engine/index.js';
import { NORMALISATION_LAYER } from '../loader/format.js';
import { chainOfTopology } from '../models/layers-model.js';

export interface InferenceEngine {
  engine: 'compiled' | 'tfjs';
  /** Why the model predicts on TF.js. */
  reason?: string;
}

const ENGINES = new WeakMap<tfl.LayersModel, InferenceEngine>();

/** Which engine runs a loaded export's `predict` (undefined for a model loadExport did not load). */
export function inferenceEngineOf(lm: tfl.LayersModel): InferenceEngine | undefined {
  return ENGINES.get(lm);
}

interface Chain {
  chain?: ChainLayer[];
  softmax: boolean;
  reason?: string;
}

function chainOf(lm: tfl.LayersModel): Chain {
  try {
    return chainOfTopology(lm.toJSON(null, false) as object) ?? { softmax: false };
  } catch (e) {
    return { softmax: false, reason: `model ${lm.name}: ${(e as Error).message}` };
  }
}

/** The model's Dense weights by chain name, as the live variables, and each kernel's non-zeros. */
function weightsOf(lm: tfl.LayersModel, chain: ChainLayer[]) {
  const vars = new Map<string, tf.Tensor>();
  const masks = new Map<string, Float32Array>();
  for (const l of chain) {
    const [kernel, bias] = lm.getLayer(l.weight.slice(0, -'.weight'.length)).weights;
    const w = kernel!.read();
    vars.set(l.weight, w);
    if (l.bias) vars.set(l.bias, bias!.read());
    const values = w.dataSync() as Float32Array;
    if (values.includes(0))
      masks.set(
        l.weight,
        values.map((v) => (v === 0 ? 0 : 1)),
      );
  }
  return { vars, masks };
}

/** x·scale + offset per channel (channels last), as the Rescaling layer computes it. */
function normaliser(lm: tfl.LayersModel): ((x: Float32Array) => Float32Array) | undefined {
  const layer = lm.layers.find((l) => l.name === NORMALISATION_LAYER);
  if (!layer) return undefined;
  const c = layer.getConfig() as { scale: number | number[]; offset: number | number[] };
  const [scale, offset] = [[c.scale].flat(), [c.offset].flat()];
  return (x) => x.map((v, i) => Math.fround(v * scale[i % scale.length]!) + offset[i % offset.length]!);
}

/** Row-wise softmax of [rows, k] logits, in a new array (TF.js's: exp(x − max) / Σ). */
export function softmaxRows(v: Float32Array, k: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < v.length; r += k) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, v[r + j]!);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += out[r + j] = Math.exp(v[r + j]! - max);
    for (let j = 0; j < k; j++) out[r + j]! /= sum;
  }
  return out;
}

interface Plan {
  predictor: ChainPredictor;
  /** The variables' data the plan was built on: a model trained or reassigned since is rebuilt. */
  ids: unknown[];
  vars: Map<string, tf.Tensor>;
  unbind: () => void;
}

function planOf(lm: tfl.LayersModel, c: Chain): Plan | string {
  if (c.reason) return c.reason;
  const { vars, masks } = c.chain ? weightsOf(lm, c.chain) : { vars: new Map(), masks: new Map() };
  const unbind = bindSparseLayers(vars, masks);
  const r = compileInference({ modelName: lm.name, chain: c.chain, batchNorm: false, vars, masks });
  if (!r.predictor) unbind();
  const ids = [...vars.values()].map((v) => v.dataId);
  return r.predictor ? { predictor: r.predictor, ids, vars, unbind } : r.reason;
}

/**
 * Routes `lm.predict` of a single float32 tensor of the model's input size through the compiled
 * chain when the model is one; records which engine runs (inferenceEngineOf).
 */
export function compileLayersModel(lm: tfl.LayersModel): void {
  const c = chainOf(lm);
  let plan = planOf(lm, c);
  if (typeof plan === 'string') {
    ENGINES.set(lm, { engine: 'tfjs', reason: plan });
    return;
  }
  ENGINES.set(lm, { engine: 'compiled' });
  const norm = normaliser(lm);
  const tfPredict = lm.predict.bind(lm);
  const dispose = lm.dispose.bind(lm);
  lm.dispose = () => (typeof plan !== 'string' && plan.unbind(), dispose());
  lm.predict = (x, args) => {
    if (typeof plan === 'string') return tfPredict(x, args);
    const stale = [...plan.vars.values()].some((v, i) => v.dataId !== (plan as Plan).ids[i]);
    if (stale) {
      plan.unbind();
      plan = planOf(lm, c);
      if (typeof plan === 'string') {
        ENGINES.set(lm, { engine: 'tfjs', reason: plan });
        return tfPredict(x, args);
      }
    }
    const p = plan.predictor;
    if (Array.isArray(x) || x.dtype !== 'float32' || x.rank < 2 || x.size !== x.shape[0] * p.inputs)
      return tfPredict(x, args);
    const B = x.shape[0];
    const data = x.dataSync() as Float32Array;
    const logits = p.predict(norm ? norm(data) : data, B);
    return tf.tensor2d(c.softmax ? softmaxRows(logits, p.classes) : logits.slice(), [B, p.classes]);
  };
}

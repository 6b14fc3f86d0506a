/**
 * A TF.js LayersModel file (model.json + weight files) as a sprig model: parameters named after the
 * layers ('conv1.weight', 'conv1.bias', 'bn1.weight'), a forward pass on sprig's own layer kernels,
 * and as initialisation either fresh draws (Kaiming, as the zoo) or the file's weights.
 */
import { createHash } from 'node:crypto';
import { tf, type ChainActivation, type ChainLayer } from '../engine/index.js';
import { SprigError } from '../util/errors.js';
import { SpecBuilder, batchNorm, conv, dense, initParams, validOut } from './layers.js';
import { parseTopology, type LayerConfig, type LayerNode, type Topology } from './layers-model-topology.js';
import type { Model, ParamTensors } from './types.js';
import { readModelFile, type ModelFile } from './model-file.js';

export { readModelFile, type ModelFile } from './model-file.js';

export { SUPPORTED_LAYERS } from './layers-model-topology.js';

/** sprig's input-normalisation layer in its own exports; sprig normalises its data itself, so reading skips it. */
const NORMALISATION_LAYER = 'sprig_input_normalization';
export const MODEL_INITS = ['fresh', 'from-model'] as const;
export type ModelInit = (typeof MODEL_INITS)[number];

const TOPOLOGY = new WeakMap<Model, object>();

/** The TF.js topology a model was read from (undefined for zoo models). */
export function layersTopologyOf(m: Model): object | undefined {
  return TOPOLOGY.get(m);
}

/** True for a --model value that names a TF.js model file rather than a zoo model. */
export const isModelFile = (nameOrPath: string) => nameOrPath.endsWith('.json');

/** sha256 of model.json and its weight files: the model's identity in run ids. */
export function modelFileSha256(path: string): string {
  return modelSha256(readModelFile(path));
}

/** sha256 of a model's topology, weight specs and weight bytes (a file's, or a model's in memory). */
export function modelSha256(f: ModelFile): string {
  return createHash('sha256')
    .update(JSON.stringify(f.topology))
    .update(JSON.stringify(f.weightSpecs))
    .update(f.weightData)
    .digest('hex');
}

/**
 * Fills in `sha256` of a model group whose name is a model.json (it enters the run id), unless the
 * group already has one (a config file may pin it; reading then refuses a changed file).
 */
export function withModelFileHash<T extends { name?: unknown; sha256?: unknown }>(
  model: T | undefined,
): T | undefined {
  if (model && typeof model.name === 'string' && isModelFile(model.name) && model.sha256 === undefined)
    model.sha256 = modelFileSha256(model.name);
  return model;
}

/** The file's weights by sprig name ('fc1/kernel' → 'fc1.weight', 'bn/moving_mean' → 'bn.mean'). */
function fileWeights(f: ModelFile): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  let at = 0;
  for (const w of f.weightSpecs) {
    if ((w.dtype ?? 'float32') !== 'float32' || w.quantization)
      throw new SprigError(
        `weight ${w.name} is ${w.quantization ? 'quantized' : w.dtype}`,
        'save the model with float32 weights',
      );
    const n = w.shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    new Uint8Array(v.buffer).set(f.weightData.subarray(at, at + n * 4));
    at += n * 4;
    const cut = w.name.lastIndexOf('/');
    const layer = w.name.slice(0, cut).replace(/^.*\//, '');
    const field = w.name.slice(cut + 1).replace(/_\d+$/, '');
    const suffix = {
      kernel: 'weight',
      gamma: 'weight',
      bias: 'bias',
      beta: 'bias',
      moving_mean: 'mean',
      moving_variance: 'variance',
    }[field];
    if (suffix) out.set(`${layer}.${suffix}`, v);
  }
  return out;
}

type Shape = number[];
type Op = (p: ParamTensors, ins: tf.Tensor[], training: boolean) => tf.Tensor;

const pair = (v: unknown, what: string, layer: string): number => {
  const a = Array.isArray(v) ? v : [v, v];
  if (a[0] !== a[1])
    throw new SprigError(
      `layer ${layer}: ${what} ${a.join('×')} is not square`,
      'sprig reads square kernels, pools and strides',
    );
  return Number(a[0]);
};

function activationOp(act: unknown, layer: string, isLast: boolean): ((x: tf.Tensor) => tf.Tensor) | null {
  switch (act ?? 'linear') {
    case 'linear':
      return null;
    case 'relu':
      return tf.relu;
    case 'sigmoid':
      return tf.sigmoid;
    case 'tanh':
      return tf.tanh;
    case 'softmax':
      if (isLast) return null; // sprig trains on logits: the output softmax belongs to the loss
  }
  throw new SprigError(
    `layer ${layer}: activation '${String(act)}' is not supported`,
    'use relu, linear, sigmoid or tanh (softmax only on the output layer)',
  );
}

const outSize = (size: number, k: number, stride: number, pad: unknown) =>
  pad === 'same' ? Math.ceil(size / stride) : validOut(size, k, stride);

/** Shapes, parameter specs and one op per node. */
function compile(t: Topology, b: SpecBuilder, eps: Map<string, number>) {
  const shapes = new Map<string, Shape>();
  const ops = new Map<string, Op>();
  const denseNodes = t.nodes.filter((n) => n.className === 'Dense');
  for (const node of t.nodes) {
    const { shape, op } = layerOp({
      node,
      c: node.config,
      x: node.inputs.map((i) => shapes.get(i)!),
      b,
      eps,
      lastDense: node.name === denseNodes.at(-1)?.name,
      isLast: node.name === t.output,
      inputShape: t.inputShape,
    });
    shapes.set(node.name, shape);
    ops.set(node.name, op);
  }
  return { shapes, ops };
}

/** What building one node's op needs: the node, its input shapes, the spec builder, the model's facts. */
interface LayerInput {
  node: LayerNode;
  c: LayerConfig;
  x: Shape[];
  b: SpecBuilder;
  eps: Map<string, number>;
  lastDense: boolean;
  isLast: boolean;
  inputShape: Shape;
}
type LayerOp = { shape: Shape; op: Op };

/** One node's output shape and op (its parameters go to the spec builder). */
function layerOp(l: LayerInput): LayerOp {
  const { node, c, x, isLast, inputShape } = l;
  const n = node.name;
  const s = x[0]!;
  switch (node.className) {
    case 'InputLayer':
      return { shape: inputShape, op: (_p, [v]) => v! };
    case 'Rescaling': // sprig's own normalisation layer: sprig's data is normalised already
    case 'Dropout': // identity in evaluation; sprig does not apply dropout while training
      return { shape: s, op: (_p, [v]) => v! };
    case 'Dense':
      return denseOp(l);
    case 'Conv2D':
      return convOp(l);
    case 'BatchNormalization':
      return batchNormOp(l);
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return poolOp(l);
    case 'Flatten':
      return { shape: [s.reduce((a, v) => a * v, 1)], op: (_p, [v]) => tf.reshape(v!, [v!.shape[0]!, -1]) };
    case 'GlobalAveragePooling2D':
      needsRank(l, 3);
      return { shape: [s[2]!], op: (_p, [v]) => tf.mean(v!, [1, 2]) };
    case 'Activation': {
      const act = activationOp(c.activation, n, isLast);
      return { shape: s, op: (_p, [v]) => (act ? act(v!) : v!) };
    }
    case 'ReLU':
      if (c.max_value != null || Number(c.negative_slope ?? 0) !== 0 || Number(c.threshold ?? 0) !== 0)
        throw new SprigError(`layer ${n}: ReLU with max_value/negative_slope/threshold`, 'use a plain ReLU');
      return { shape: s, op: (_p, [v]) => tf.relu(v!) };
    case 'Add':
      if (x.some((o) => o.join() !== s.join()))
        throw new SprigError(
          `layer ${n}: Add of shapes ${x.map((o) => o.join('×')).join(' and ')}`,
          'add tensors of equal shape',
        );
      return { shape: s, op: (_p, vs) => vs.reduce((a, v) => tf.add(a, v)) };
  }
}

function needsRank({ node, x }: LayerInput, rank: number): void {
  const s = x[0]!;
  if (s.length !== rank)
    throw new SprigError(
      `layer ${node.name} (${node.className}) gets a rank-${s.length} input; sprig expects rank ${rank} here`,
      rank === 1 ? 'add a Flatten layer before it' : 'feed it images (height, width, channels)',
    );
}

function denseOp(l: LayerInput): LayerOp {
  needsRank(l, 1);
  const { c, node } = l;
  const n = node.name;
  const units = Number(c.units);
  l.b.dense(n, l.x[0]![0]!, units, { bias: c.use_bias !== false, isOutput: l.lastDense });
  const act = activationOp(c.activation, n, l.isLast);
  const fused = c.activation === 'relu' ? 'relu' : 'linear';
  return {
    shape: [units],
    op: (p, [v]) => {
      const y = dense(p, n, v as tf.Tensor2D, fused);
      return act && fused !== 'relu' ? act(y) : y;
    },
  };
}

function convOp(l: LayerInput): LayerOp {
  needsRank(l, 3);
  const { c, node } = l;
  const n = node.name;
  const s = l.x[0]!;
  if (c.data_format && c.data_format !== 'channels_last')
    throw new SprigError(`layer ${n}: data_format ${String(c.data_format)}`, 'use channels_last');
  if (pair(c.dilation_rate ?? 1, 'dilation', n) !== 1)
    throw new SprigError(`layer ${n}: dilated convolution`, 'use dilation 1');
  const k = pair(c.kernel_size, 'kernel', n);
  const stride = pair(c.strides ?? 1, 'stride', n);
  const pad = c.padding === 'same' ? 'same' : 'valid';
  const h = outSize(s[0]!, k, stride, pad);
  const w = outSize(s[1]!, k, stride, pad);
  l.b.conv(n, k, s[2]!, Number(c.filters), h * w, { bias: c.use_bias !== false });
  const act = activationOp(c.activation, n, l.isLast);
  const fused = c.activation === 'relu' ? 'relu' : 'linear';
  return {
    shape: [h, w, Number(c.filters)],
    op: (p, [v]) => {
      const y = conv(p, n, v as tf.Tensor4D, stride, pad, fused);
      return act && fused !== 'relu' ? act(y) : y;
    },
  };
}

function batchNormOp({ c, node, x, b, eps }: LayerInput): LayerOp {
  const n = node.name;
  const s = x[0]!;
  const axis = Array.isArray(c.axis) ? c.axis[0] : (c.axis ?? -1);
  if (axis !== -1 && axis !== s.length)
    throw new SprigError(
      `layer ${n}: batch norm over axis ${String(axis)}`,
      'normalise the last (channel) axis',
    );
  if (c.center === false || c.scale === false)
    throw new SprigError(`layer ${n}: batch norm without center/scale`, 'use center: true and scale: true');
  b.bn(n, s.at(-1)!, s.length === 3 ? s[0]! * s[1]! : 1);
  eps.set(n, Number(c.epsilon ?? 1e-3));
  return {
    shape: s,
    op: () => {
      throw new Error('bound in forward');
    },
  };
}

function poolOp(l: LayerInput): LayerOp {
  needsRank(l, 3);
  const { c, node } = l;
  const s = l.x[0]!;
  const k = pair(c.pool_size ?? 2, 'pool', node.name);
  const stride = pair(c.strides ?? k, 'stride', node.name);
  const pad = c.padding === 'same' ? 'same' : 'valid';
  const pool = node.className === 'MaxPooling2D' ? tf.maxPool : tf.avgPool;
  return {
    shape: [outSize(s[0]!, k, stride, pad), outSize(s[1]!, k, stride, pad), s[2]!],
    op: (_p, [v]) => pool(v as tf.Tensor4D, k, stride, pad),
  };
}

/**
 * The model as a chain of Dense layers (engine/compiled runs it in one native call), when it is
 * one: nodes in a line, Dense layers with only Flatten, Dropout (an identity: sprig does not apply
 * dropout), Rescaling and an activation after a linear Dense between them.
 */
function denseChain(t: Topology): ChainLayer[] | undefined {
  const chain: ChainLayer[] = [];
  let prev: string | undefined;
  for (const node of t.nodes) {
    if (node.inputs.length > 1 || node.inputs[0] !== prev) return undefined;
    prev = node.name;
    const c = node.config;
    const isLast = node.name === t.output;
    if (['InputLayer', 'Flatten', 'Dropout', 'Rescaling'].includes(node.className)) continue;
    if (node.className === 'Dense') {
      const bias = c.use_bias !== false ? `${node.name}.bias` : undefined;
      chain.push({ weight: `${node.name}.weight`, bias, activation: chainActivation(c.activation, isLast) });
      continue;
    }
    const act =
      node.className === 'ReLU' ? 'relu' : node.className === 'Activation' ? c.activation : undefined;
    const last = chain.at(-1);
    if (act === undefined || !last || last.activation !== 'linear') return undefined;
    last.activation = chainActivation(act, isLast);
  }
  return chain.length ? chain : undefined;
}

/**
 * A TF.js topology (a LayersModel's toJSON, sprig's input normalisation skipped) as a chain, and
 * whether its output applies softmax, which the chain leaves out; undefined when it is no chain.
 */
export function chainOfTopology(json: object): { chain: ChainLayer[]; softmax: boolean } | undefined {
  const t = parseTopology(json, (cls, name) => cls === 'Rescaling' && name === NORMALISATION_LAYER);
  const chain = denseChain(t);
  const out = t.nodes.find((n) => n.name === t.output);
  return chain && { chain, softmax: out?.config.activation === 'softmax' };
}

/** activationOp's activations by name; the output softmax belongs to the loss. */
function chainActivation(act: unknown, isLast: boolean): ChainActivation {
  const a = String(act ?? 'linear');
  return a === 'softmax' && isLast ? 'linear' : (a as ChainActivation);
}

export interface ReadModelOptions {
  init?: ModelInit;
  /** When given, the file must still have this content hash (the run's identity). */
  sha256?: string;
}

/** Reads model.json as a sprig model for a dataset of this input shape and class count. */
export function readLayersModel(
  path: string,
  inputShape: [number, number, number],
  numClasses: number,
  o: ReadModelOptions = {},
): Model {
  if (o.sha256 && modelFileSha256(path) !== o.sha256)
    throw new SprigError(
      `${path} has changed since the run was started (its sha256 differs)`,
      'restore the original file, or start a new run with this one',
    );
  const file = readModelFile(path);
  const t = parseTopology(file.topology, (cls, name) => cls === 'Rescaling' && name === NORMALISATION_LAYER);
  const flat = inputShape.reduce((a, v) => a * v, 1);
  if (t.inputShape.join() !== inputShape.join() && !(t.inputShape.length === 1 && t.inputShape[0] === flat))
    throw new SprigError(
      `${path} takes inputs of shape ${t.inputShape.join('×')}, the dataset has ${inputShape.join('×')}`,
      'use a dataset of the shape the model was built for, or rebuild the model',
    );
  const b = new SpecBuilder();
  const eps = new Map<string, number>();
  const { shapes, ops } = compile(t, b, eps);
  const out = shapes.get(t.output)!;
  if (out.length !== 1 || out[0] !== numClasses)
    throw new SprigError(
      `${path} outputs shape ${out.join('×')}, the dataset has ${numClasses} classes`,
      `end the model with a Dense layer of ${numClasses} units`,
    );
  const weights = o.init === 'from-model' ? fileWeights(file) : undefined;
  if (weights)
    for (const [n, st] of b.bnStats) {
      st.mean.set(weights.get(`${n}.mean`) ?? st.mean);
      st.variance.set(weights.get(`${n}.variance`) ?? st.variance);
    }
  const model: Model = {
    name: t.name,
    inputShape,
    numClasses,
    specs: b.specs,
    bnStats: b.bnStats,
    init: (rng) => (weights ? fromFile(b, weights, path) : initParams(b.specs, rng)),
    chain: denseChain(t),
    forward(p, x, training) {
      const vals = new Map<string, tf.Tensor>();
      for (const node of t.nodes) {
        const ins = node.inputs.map((i) => vals.get(i)!);
        let y: tf.Tensor;
        if (node.className === 'InputLayer')
          y = t.inputShape.length === 1 ? tf.reshape(x, [x.shape[0], -1]) : x;
        else if (node.className === 'BatchNormalization')
          y = bn(p, b, node.name, ins[0]!, training, eps.get(node.name)!);
        else y = ops.get(node.name)!(p, ins, training);
        vals.set(node.name, y);
      }
      return vals.get(t.output)! as tf.Tensor2D;
    },
  };
  TOPOLOGY.set(model, file.topology);
  return model;
}

/** BN of rank-2 inputs (after Dense) goes through the 4-D kernel as [n, 1, 1, c]. */
function bn(
  p: ParamTensors,
  b: SpecBuilder,
  name: string,
  x: tf.Tensor,
  training: boolean,
  eps: number,
): tf.Tensor {
  if (x.rank === 4) return batchNorm(p, b.bnStats, name, x as tf.Tensor4D, training, { eps });
  const y = batchNorm(p, b.bnStats, name, tf.reshape(x, [x.shape[0]!, 1, 1, x.shape[1]!]), training, { eps });
  return tf.reshape(y, x.shape);
}

function fromFile(b: SpecBuilder, w: Map<string, Float32Array>, path: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const s of b.specs) {
    const v = w.get(s.name);
    const n = s.shape.reduce((a, c) => a * c, 1);
    if (!v || v.length !== n)
      throw new SprigError(
        `${path} has no weights for ${s.name} (${s.shape.join('×')})`,
        'save the model with its weights, or drop --init from-model',
      );
    out.set(s.name, v.slice());
  }
  return out;
}

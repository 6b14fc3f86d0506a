import type { ChainLayer, tf } from '../engine/index.js';

/** What a parameter is, so that sparsity code knows which to prune and how to count it. */
export type ParamKind = 'dense' | 'conv' | 'bias' | 'bn_gamma' | 'bn_beta';

export interface ParamSpec {
  /** Stable name, PyTorch style: 'fc1.weight', 'conv2.weight', 'blocks.3.conv1.weight', 'fc.bias'. */
  name: string;
  /** dense: [in, out]; conv: [kh, kw, cin, cout] (TF.js layout); bias/bn: [c]. */
  shape: number[];
  kind: ParamKind;
  /** Conv and dense weights are prunable; biases and batch-norm parameters stay dense. */
  prunable: boolean;
  /** True for the last (classifier) layer's weight, which LTH prunes at half the rate. */
  isOutput: boolean;
  /** Inputs feeding one output unit (dense: in; conv: kh·kw·cin). */
  fanIn: number;
  /** Outputs fed by one input unit (dense: out; conv: kh·kw·cout). */
  fanOut: number;
  /** How many times each weight is used per example in a forward pass (conv: outH·outW; dense: 1). */
  usesPerExample: number;
}

/** Parameters (and batch-norm running statistics) handed to a model's forward function. */
export type ParamTensors = Record<string, tf.Tensor>;

/** Running statistics of batch norm, updated in place during training (not trained by gradient). */
export interface BatchNormStats {
  mean: Float32Array;
  variance: Float32Array;
}

export interface Model {
  name: string;
  inputShape: [number, number, number];
  numClasses: number;
  /** All trainable parameters, in model order. */
  specs: ParamSpec[];
  /** Batch-norm running statistics by layer name (empty when the model has no batch norm). */
  bnStats: Map<string, BatchNormStats>;
  /** Logits for a batch x [n, h, w, c]. `training` selects batch statistics in batch norm. */
  forward(params: ParamTensors, x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  /**
   * The model as a chain of fully-connected layers, when it is one (MLPs): the compiled engine then
   * runs its training step and inference in one native call each (engine/compiled). Same function
   * as `forward`.
   */
  chain?: ChainLayer[];
  /** A fresh initialisation of every parameter (He/Kaiming normal for weights, zeros for biases). */
  init(rng: import('../util/rng.js').Rng): Map<string, Float32Array>;
}

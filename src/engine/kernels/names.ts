/**
 * The names of the kernels sprig adds to TF.js's CPU backend, and the addon's op codes for the
 * TF.js kernels it runs, keyed by TF.js's own kernel names (tfjs-core's kernel_names, re-exported
 * by tf). Which kernels are registered, and how, is the table in register.ts.
 */
import * as tf from '@tensorflow/tfjs-core';

/** sprig's own kernels. */
export const SPRIG_KERNELS = {
  /** A dense layer y = act(x·W + b), one kernel with native gradients (layers.ts). */
  dense: 'SprigDense',
  /** A conv layer y = act(conv2d(x, W) + b), one kernel with native gradients (layers.ts). */
  conv2D: 'SprigConv2D',
  /** Batch norm with batch statistics, and its gradient (batchnorm.ts). */
  batchNormTrain: 'SprigBatchNormTrain',
  batchNormTrainGrad: 'SprigBatchNormTrainGrad',
  /** Mean softmax cross-entropy against target distributions (loss.ts). */
  softmaxCrossEntropy: 'SprigSoftmaxCrossEntropy',
  /** dy·step(x) in one pass: the native Relu gradient (gradients.ts). */
  reluGrad: 'SprigReluGrad',
  /** The per-channel sums of FusedBatchNorm's gradient in one pass (gradients.ts). */
  fusedBatchNormGrad: 'SprigFusedBatchNormGrad',
  /** A dense layer over its active connections only, and its sparse gradients (sparse.ts). */
  sparseDense: 'SprigSparseDense',
  /** A conv layer over its filter's active taps only, and its sparse gradients (sparse-conv.ts). */
  sparseConv2D: 'SprigSparseConv2D',
} as const;

/** Binary element-wise kernels, by the addon's op code (native/src/elementwise.cc, enum Bin). */
export const BINARY_OPS = {
  [tf.Add]: 0,
  [tf.Sub]: 1,
  [tf.Multiply]: 2,
  [tf.RealDiv]: 3,
  [tf.Maximum]: 4,
  [tf.Minimum]: 5,
  [tf.SquaredDifference]: 6,
} as const;

/** Unary element-wise kernels, by the addon's op code (native/src/elementwise.cc, enum Un). */
export const UNARY_OPS = {
  [tf.Relu]: 0,
  [tf.Step]: 1,
  [tf.Neg]: 2,
  [tf.Exp]: 3,
  [tf.Log]: 4,
  [tf.Sqrt]: 5,
  [tf.Rsqrt]: 6,
  [tf.Square]: 7,
  [tf.Sigmoid]: 8,
  [tf.Tanh]: 9,
  [tf.Abs]: 10,
  [tf.Relu6]: 11,
} as const;

/** Reductions, by the addon's op code (native/src/reduce.cc, enum Red). */
export const REDUCE_OPS = { [tf.Sum]: 0, [tf.Mean]: 1, [tf.Max]: 2, [tf.Min]: 3 } as const;

/** Fused activations (TF.js's names), by the addon's code (native/src/common.h, enum Act). */
export const ACTIVATIONS: Record<string, number | undefined> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  sigmoid: 3,
  elu: 4,
  leakyrelu: 5,
};

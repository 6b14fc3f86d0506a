/**
 * The tensor engine: TensorFlow.js core on its CPU backend, with sprig's native kernels
 * (src/engine/native.ts) registered over the hot ones when the addon loads.
 * Every module that touches tensors imports `tf` from here, so the engine is set up exactly once.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core alone registers no gradients; tfjs-layers' bundle registers them all.
import '@tensorflow/tfjs-layers';
import { loadNative, type NativeStatus } from './native.js';
import { installPool } from './pool.js';

export { tf };

// The engine's one door: code outside src/engine imports only this file (eslint.config.js says so).
export {
  addonPath,
  batchNormTrain,
  convLayer,
  denseLayer,
  engineThreads,
  nativeAdamUpdate,
  nativeAddon,
  nativeSgdUpdate,
  pinThreads,
  softmaxCrossEntropy,
  type LayerActivation,
  type NativeStatus,
} from './native.js';
export type { NativeAddon, PeakFlops } from './kernels/addon.js';
export { multiplyInPlace, serialGemm } from './arrays.js';
export { alloc, poolState, valuesOf } from './pool.js';
export { sparseDenseLayer } from './kernels/sparse.js';
export { sparseAddon, type MirrorArgs } from './kernels/sparse-addon.js';
export { sparseConvLayer } from './kernels/sparse-conv.js';
export {
  activeWeights,
  bindSparseLayers,
  masksChanged,
  setSparseEngine,
  sparseConvPlanFor,
  sparseEngineInfo,
  sparseEngineMode,
  sparsePlanFor,
  sparseReport,
  SPARSE_ENGINE_MODES,
  withDenseWeightGradients,
  type SparseLayerReport,
} from './kernels/sparse-engine.js';
// The compiled engine: a whole MLP training step or inference batch in one native call.
export { CompiledMlp, type ChainLayer, type MomentsOf, type OptimizerSettings } from './compiled/mlp.js';
export { compilePlan, sayFallback, ENGINES, type EngineName, type CompileResult } from './compiled/plan.js';
export type { ChainActivation } from './compiled/addon.js';
export {
  compileInference,
  INFER_ENGINE_ENV,
  type ChainPredictor,
  type InferPlan,
  type InferRequest,
} from './compiled/infer.js';

let status: NativeStatus | undefined;

function setUp(): NativeStatus {
  tf.setBackend('cpu');
  // The CPU backend prints an "install tfjs-node" banner on first use; sprig is the fast path here.
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  tf.env().set('IS_TEST', false);
  installPool(tf.backend());
  return loadNative();
}

/** Which engine runs, and which kernels are native. */
export function engineStatus(): NativeStatus {
  status ??= setUp();
  return status;
}

engineStatus();

/**
 * The live Float32Array behind a tensor on the CPU backend (no copy). Writing to it changes the
 * tensor in place: sprig's optimizers and masks update variables this way, outside the tape.
 */
export function buffer(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/** Like tf.tidy, for functions that return plain values (arrays, numbers): every tensor made inside is freed. */
export function scoped<T>(fn: () => T): T {
  tf.engine().startScope();
  try {
    return fn();
  } finally {
    tf.engine().endScope();
  }
}

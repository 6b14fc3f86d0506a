/**
 * The addon's compiled MLP step (native/src/compiled_mlp.cc): arrays first, then one options
 * object, like every addon call. A plan is an opaque handle that owns the step's scratch buffers.
 */
import { nativeAddon, type NativeAddon } from '../kernels/addon.js';

/** Layer activation codes of the native plan (compiled_mlp.cc's ChainAct). */
export const CHAIN_ACTIVATIONS = { linear: 0, relu: 1, sigmoid: 2, tanh: 3 } as const;
export type ChainActivation = keyof typeof CHAIN_ACTIVATIONS;

/** A layer's arrays, read in place by every call until the next bind. */
export interface LayerArrays {
  w: Float32Array;
  dw: Float32Array;
  b?: Float32Array | null;
  db?: Float32Array | null;
  /** A masked layer on the dense product: its gradient and weights are re-masked by the update. */
  mask?: Float32Array | null;
  /** A layer with a sparse structure (sparse.ts): its active positions, both CSRs and mirrors. */
  active?: Int32Array;
  outPtr?: Int32Array;
  outIdx?: Int32Array;
  inPtr?: Int32Array;
  inIdx?: Int32Array;
  slot?: Int32Array;
  wIn?: Float32Array;
  wOut?: Float32Array;
  /** Optimizer moments: one entry per weight, or per active weight (moments.ts). */
  m?: Float32Array | null;
  v?: Float32Array | null;
  mb?: Float32Array | null;
  vb?: Float32Array | null;
}

/** One optimizer step's settings as the native update reads them (optimizer 0: SGD, 1: Adam). */
export interface NativeOptimizerOptions {
  optimizer: 0 | 1;
  lr: number;
  weightDecay: number;
  momentum?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Adam's step count t (bias correction). */
  step?: number;
}

export interface CompiledMlpAddon {
  /** spec: [K, N, activation code, has bias] per layer. */
  compiledMlpCreate(spec: Int32Array): object;
  compiledMlpBind(plan: object, layer: number, arrays: LayerArrays): void;
  /** Forward, loss, backward (gradients into the bound dw/db) and, with `update`, the optimizer step. */
  compiledMlpStep(
    plan: object,
    x: Float32Array,
    labels: Int32Array,
    sparse: Int32Array,
    o: {
      B: number;
      labelSmoothing: number;
      denseGrads: boolean;
      update: boolean;
    } & Partial<NativeOptimizerOptions>,
  ): number;
  compiledMlpApply(plan: object, o: NativeOptimizerOptions): void;
  compiledMlpForward(
    plan: object,
    logits: Float32Array,
    x: Float32Array,
    sparse: Int32Array,
    o: { B: number },
  ): void;
}

/** The compiled MLP functions, when the addon is loaded and has them. */
export function compiledAddon(): CompiledMlpAddon | undefined {
  const a = nativeAddon() as (NativeAddon & Partial<CompiledMlpAddon>) | undefined;
  return a?.compiledMlpStep ? (a as unknown as CompiledMlpAddon) : undefined;
}

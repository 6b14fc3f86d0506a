/**
 * A compiled MLP: a chain of fully-connected layers whose whole training step (forward, softmax
 * cross-entropy, backward, optimizer update) and whole inference batch each run as one native
 * call (native/src/compiled_mlp.cc), on the model's own variable buffers. Layers bound to masks run
 * on the sparse kernels where the sparse engine says so (sparse-engine.ts), with the same index
 * sets and compact mirrors as the TF.js path, so either path can take the next step.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { sparseLayerOf, sparsePlanFor } from '../kernels/sparse-engine.js';
import {
  CHAIN_ACTIVATIONS,
  type ChainActivation,
  type CompiledMlpAddon,
  type LayerArrays,
  type NativeOptimizerOptions,
} from './addon.js';

/** One layer of a chain: y = act(x·W + b), W [in, out] named `weight`, b named `bias`. */
export interface ChainLayer {
  weight: string;
  bias?: string;
  activation: ChainActivation;
}

/** One optimizer step as sprig's optimizers run it (training/optimizers.ts). */
export type OptimizerSettings =
  | { optimizer: 'sgd'; lr: number; momentum: number; nesterov: boolean; weightDecay: number }
  | {
      optimizer: 'adam';
      lr: number;
      beta1: number;
      beta2: number;
      epsilon: number;
      weightDecay: number;
      /** t of the bias correction. */
      step: number;
    };

/** The moment buffers the optimizer's own update would use for a weight (compact for `active`). */
export type MomentsOf = (
  name: string,
  n: number,
  active?: Int32Array,
) => { m: Float32Array | null; v: Float32Array | null };

/** What a compiled chain runs on: the live variables, their buffers, the masks and the moments. */
export interface ChainState {
  vars: Map<string, tf.Tensor>;
  weights: Map<string, Float32Array>;
  masks?: Map<string, Float32Array>;
  moments: MomentsOf;
}

interface BoundLayer {
  layer: ChainLayer;
  K: number;
  N: number;
  /** What the layer was last bound with (identity): a change rebinds it. */
  key: unknown[];
}

export class CompiledMlp {
  private readonly plan: object;
  private readonly bound: BoundLayer[];
  private readonly sparse: Int32Array;
  private logits = new Float32Array(0);
  /** Each weight's and bias's gradient of the last step (dense layout; a sparse layer's only at its active weights). */
  readonly grads = new Map<string, Float32Array>();

  constructor(
    private readonly nat: CompiledMlpAddon,
    layers: ChainLayer[],
    private readonly state: ChainState,
  ) {
    this.bound = layers.map((layer) => {
      const [K, N] = state.vars.get(layer.weight)!.shape as [number, number];
      this.grads.set(layer.weight, new Float32Array(K * N));
      if (layer.bias) this.grads.set(layer.bias, new Float32Array(N));
      return { layer, K, N, key: [] };
    });
    const spec = this.bound.flatMap((l) => [
      l.K,
      l.N,
      CHAIN_ACTIVATIONS[l.layer.activation],
      l.layer.bias ? 1 : 0,
    ]);
    this.plan = nat.compiledMlpCreate(Int32Array.from(spec));
    this.sparse = new Int32Array(layers.length);
  }

  get classes(): number {
    return this.bound.at(-1)!.N;
  }

  /**
   * One training step on a batch: the mean loss. With `update`, the optimizer step too (one call);
   * without, the gradients wait in `grads` for `apply` (a sparse updater's hooks come between).
   */
  step(
    x: Float32Array,
    labels: Int32Array,
    B: number,
    o: { labelSmoothing: number; denseGrads: boolean; update?: OptimizerSettings },
  ): number {
    this.sync(B, true);
    const opt = o.update ? nativeOptions(o.update) : {};
    return this.nat.compiledMlpStep(this.plan, x, labels, this.sparse, {
      B,
      labelSmoothing: o.labelSmoothing,
      denseGrads: o.denseGrads,
      update: !!o.update,
      ...opt,
    });
  }

  /** The optimizer step from the gradients of the last `step` (as the updater may have left them). */
  apply(s: OptimizerSettings): void {
    this.sync(undefined, true);
    this.nat.compiledMlpApply(this.plan, nativeOptions(s));
  }

  /** Logits [B, classes] of a batch x [B, inputs] in one call; the array is reused by the next call. */
  predict(x: Float32Array, B: number): Float32Array {
    this.sync(B, false);
    const n = B * this.classes;
    if (this.logits.length < n) this.logits = new Float32Array(n);
    const out = this.logits.subarray(0, n);
    this.nat.compiledMlpForward(this.plan, out, x, this.sparse, { B });
    return out;
  }

  /**
   * Rebinds the layers whose arrays changed (a mask update's new index sets, moments made compact)
   * and sets which run sparse at batch B. Inference binds no moments it does not need.
   */
  private sync(B: number | undefined, withMoments: boolean): void {
    this.bound.forEach((l, i) => {
      const v = this.state.vars.get(l.layer.weight)!;
      if (B !== undefined) this.sparse[i] = sparsePlanFor(v, B) === undefined ? 0 : 1;
      const arrays = this.arrays(l, withMoments);
      const key = Object.values(arrays);
      if (key.length === l.key.length && key.every((a, j) => a === l.key[j])) return;
      this.nat.compiledMlpBind(this.plan, i, arrays);
      l.key = key;
    });
  }

  private arrays(l: BoundLayer, withMoments: boolean): LayerArrays {
    const { weight, bias } = l.layer;
    const { vars, weights, masks, moments } = this.state;
    const s = sparseLayerOf(vars.get(weight)!);
    const active = s?.structure.active;
    const wm = withMoments ? moments(weight, l.K * l.N, active) : { m: null, v: null };
    const bm = withMoments && bias ? moments(bias, l.N) : { m: null, v: null };
    const arrays: LayerArrays = {
      w: weights.get(weight)!,
      dw: this.grads.get(weight)!,
      b: bias ? weights.get(bias)! : null,
      db: bias ? this.grads.get(bias)! : null,
      mask: s ? null : (masks?.get(weight) ?? null),
      m: wm.m,
      v: wm.v,
      mb: bm.m,
      vb: bm.v,
    };
    if (!s) return arrays;
    // Object.assign, not a spread: this runs per layer per call, and V8's spread of these objects
    // cost ~2 µs each, a third of a batch-1 LeNet-300-100 forward (bench/compiled-infer.ts)
    const { outPtr, outIdx, inPtr, inIdx, outSlot } = s.structure;
    return Object.assign(arrays, {
      active,
      outPtr,
      outIdx,
      inPtr,
      inIdx,
      slot: outSlot,
      wIn: s.wIn,
      wOut: s.wOut,
    });
  }
}

function nativeOptions(s: OptimizerSettings): NativeOptimizerOptions {
  if (s.optimizer === 'sgd')
    return { optimizer: 0, lr: s.lr, weightDecay: s.weightDecay, momentum: s.momentum, nesterov: s.nesterov };
  return {
    optimizer: 1,
    lr: s.lr,
    weightDecay: s.weightDecay,
    beta1: s.beta1,
    beta2: s.beta2,
    eps: s.epsilon,
    step: s.step,
  };
}

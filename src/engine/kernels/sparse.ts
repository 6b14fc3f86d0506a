/**
 * Sparse fully-connected layers: y = act(x·W + b) computed only at W's active connections, as one
 * differentiable op whose gradients (dx, dW at the active connections only, db) are sparse too.
 * The weights stay in their dense [in, out] variable (zeros where masked), so the optimizer,
 * checkpoints and masks work unchanged; a `SparseStructure` holds the active connections' indices
 * and is rebuilt from the mask when the mask changes (RigL/SET/SNFS every ΔT steps, GMP's prunes).
 * Native kernels (native/src/sparse_linear*.cc) when the addon is loaded, plain JS otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeAddon } from './addon.js';
import { alloc, valuesOf } from '../pool.js';
import type { CpuBackend, KernelArgs } from './cpu-backend.js';
import { CompressedRows, maskOf } from './csr.js';
import { SPRIG_KERNELS } from './names.js';
import { sparseAddon, type MirrorArgs, type SparseAddon } from './sparse-addon.js';

/**
 * The active connections of a [K, N] weight (K inputs, N outputs) as two CSR index sets: by output
 * (row n lists its inputs k, ascending), for the forward pass; by input (row k lists its outputs n,
 * ascending), for the input and weight gradients. `active` lists the positions k·N + n, ascending.
 */
export class SparseStructure extends CompressedRows {
  constructor(
    readonly K: number,
    readonly N: number,
    mask: Float32Array,
  ) {
    super(
      maskOf(mask, [K, N], 'weight'),
      { outputs: N, inputs: K },
      (i) => i % N,
      (i) => Math.floor(i / N),
      { byOutput: (i) => Math.floor(i / N), byInput: (i) => i % N },
    );
  }

  protected get size(): number {
    return this.K * this.N;
  }
}

// ---------------------------------------------------------------- plain JS kernels (fallback, tests)

/** y [B, N] = act(x·W + b) over the active connections. */
export function jsSparseForward(
  y: Float32Array,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  B: number,
  s: SparseStructure,
  relu: boolean,
): void {
  const { K, N, inPtr, inIdx } = s;
  const acc = new Float64Array(N);
  for (let b = 0; b < B; b++) {
    acc.fill(0);
    for (let k = 0; k < K; k++) {
      const xv = x[b * K + k]!;
      if (xv === 0) continue;
      for (let q = inPtr[k]!; q < inPtr[k + 1]!; q++) acc[inIdx[q]!]! += xv * w[k * N + inIdx[q]!]!;
    }
    for (let n = 0; n < N; n++) {
      const v = acc[n]! + (bias ? bias[n]! : 0);
      y[b * N + n] = relu && !(v > 0) ? 0 : v;
    }
  }
}

/** dx [B, K] = g·Wᵀ over the active connections (g: dy masked by the ReLU, [B, N]). */
export function jsSparseDx(
  dx: Float32Array,
  g: Float32Array,
  w: Float32Array,
  B: number,
  s: SparseStructure,
) {
  const { K, N, inPtr, inIdx } = s;
  for (let b = 0; b < B; b++)
    for (let k = 0; k < K; k++) {
      let acc = 0;
      for (let q = inPtr[k]!; q < inPtr[k + 1]!; q++) acc += w[k * N + inIdx[q]!]! * g[b * N + inIdx[q]!]!;
      dx[b * K + k] = acc;
    }
}

/** dW [K, N] = xᵀ·g at the active connections, zero elsewhere. */
export function jsSparseDw(
  dw: Float32Array,
  x: Float32Array,
  g: Float32Array,
  B: number,
  s: SparseStructure,
) {
  const { K, N, inPtr, inIdx } = s;
  dw.fill(0);
  for (let k = 0; k < K; k++)
    for (let q = inPtr[k]!; q < inPtr[k + 1]!; q++) {
      const n = inIdx[q]!;
      let acc = 0;
      for (let b = 0; b < B; b++) acc += x[b * K + k]! * g[b * N + n]!;
      dw[k * N + n] = acc;
    }
}

// ---------------------------------------------------------------- the differentiable op

const SPARSE_DENSE = SPRIG_KERNELS.sparseDense;

/** What the op needs besides its tensors: the layer's structure and how to compute dW. */
export interface SparseLayerPlan {
  structure: SparseStructure;
  /** dW over all connections (a dense product): RigL's grow scores, SNFS's gradient EMA. */
  denseWeightGrad: boolean;
  /** The last forward's transposed input and the tensor data it came from (reused by dW). */
  xT?: Float32Array;
  xTOf?: object;
  /** The layer's weight-gradient array: only active entries are written, the rest stay zero. */
  dw?: Float32Array;
  /** Positions of dw to zero before its next use (a previous plan's active ones). */
  dwClear?: Int32Array;
  /**
   * The active weights copied into two compact arrays, in active (by-input) and by-output order, so
   * the kernels stream them instead of gathering from the dense [K, N] array. Copied from the
   * weights at the plan's first forward; from then the optimizer kernels write both (a mask
   * change, the only other writer of a sparse layer's weights, makes a new plan).
   */
  wIn?: Float32Array;
  wOut?: Float32Array;
  /** The weight tensor data the mirrors were copied from (another tensor makes new copies). */
  wOf?: object;
}

// Plans by id: TF.js hands attributes through to the gradient function; a number travels safely.
const plans = new Map<number, SparseLayerPlan>();
let nextPlan = 0;

const f32 = (t: tf.TensorInfo, be: unknown): Float32Array => valuesOf(t, be);
const padded = (b: number): number => Math.ceil(b / 16) * 16;

/** SprigSparseDense's kernel (kernels/register.ts lists it): the addon's when loaded, else JS. */
export function sparseDenseKernel(a: unknown): tf.TensorInfo {
  const args = a as KernelArgs;
  const be = args.backend as CpuBackend;
  const { x, w, bias } = args.inputs;
  const plan = plans.get(args.attrs!.plan as number)!;
  const s = plan.structure;
  const B = x!.shape[0]!;
  const relu = args.attrs!.activation === 'relu';
  const y = alloc(B * s.N);
  const xv = f32(x!, be),
    wv = f32(w!, be),
    bv = bias ? f32(bias, be) : null;
  const nat = sparseAddon();
  if (nat) {
    // keep the transposed input for dW only while a gradient is being recorded (not in evaluation)
    const recording = (tf.engine().state as { gradientDepth?: number }).gradientDepth! > 0;
    const n = s.K * padded(B);
    if (recording && (!plan.xT || plan.xT.length < n)) plan.xT = new Float32Array(n);
    const keep = recording ? plan.xT! : null;
    const { wIn, wOut } = mirrored(plan, wv, w!.dataId);
    nat.sparseForward(y, xv, wv, bv, s.outPtr, s.outIdx, s.inPtr, s.inIdx, keep, wOut, wIn, {
      B,
      K: s.K,
      N: s.N,
      relu,
    });
    plan.xTOf = recording ? x!.dataId : undefined;
  } else jsSparseForward(y, xv, wv, bv, B, s, relu);
  return be.makeTensorInfo([B, s.N], 'float32', y);
}

/** SprigSparseDense's gradient (kernels/gradients.ts lists it): dx, dW at the active connections, db. */
export function sparseDenseGradient(): tf.GradConfig {
  return {
    kernelName: SPARSE_DENSE,
    inputsToSave: ['x', 'w'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, w, y] = saved as tf.Tensor[];
      const d = dy as tf.Tensor;
      const plan = plans.get(attrs.plan as number)!;
      const s = plan.structure;
      const be = tf.backend();
      const B = x!.shape[0]!;
      const relu = attrs.activation === 'relu';
      const nat = sparseAddon();
      return nat
        ? nativeGrads(nat, plan, x!, w!, y!, d, B, relu, be)
        : jsGrads(s, plan, x!, w!, y!, d, B, relu);
    },
  };
}

/** The plan's compact weight mirrors, copied from w the first time (also the compiled engine's). */
export function mirrored(
  plan: SparseLayerPlan,
  w: Float32Array,
  wOf: object,
): { wIn: Float32Array; wOut: Float32Array } {
  if (!plan.wIn || !plan.wOut || plan.wOf !== wOf) {
    const { active, outSlot } = plan.structure;
    const wIn = new Float32Array(active.length),
      wOut = new Float32Array(active.length);
    for (let j = 0; j < active.length; j++) wOut[outSlot[j]!] = wIn[j] = w[active[j]!]!;
    [plan.wIn, plan.wOut, plan.wOf] = [wIn, wOut, wOf];
  }
  return { wIn: plan.wIn, wOut: plan.wOut };
}

/** The optimizer kernels' mirror arguments for a plan (nulls before its first forward). */
export function mirrorArgs(plan: SparseLayerPlan): MirrorArgs {
  return plan.wIn && plan.wOut ? [plan.wIn, plan.wOut, plan.structure.outSlot] : [null, null, null];
}

type Grads = Record<string, () => tf.Tensor>;

function nativeGrads(
  nat: SparseAddon,
  plan: SparseLayerPlan,
  x: tf.Tensor,
  w: tf.Tensor,
  y: tf.Tensor,
  d: tf.Tensor,
  B: number,
  relu: boolean,
  be: unknown,
): Grads {
  const s = plan.structure;
  const { K, N } = s;
  // dy masked by the ReLU and transposed to [N, ld], shared by the three gradients; a tensor of the
  // backward scope, so its array returns to the pool when backprop ends
  const dyT = alloc(N * padded(B));
  nat.sparseGradOut(dyT, f32(d, be), relu ? f32(y, be) : null, { B, N });
  tf.tensor(dyT, [dyT.length]);
  return {
    x: () => {
      const o = alloc(B * K);
      nat.sparseDx(o, dyT, f32(w, be), s.inPtr, s.inIdx, plan.wIn ?? null, { B, K, N });
      return tf.tensor(o, [B, K]);
    },
    w: () => {
      if (plan.denseWeightGrad) {
        const o = alloc(K * N);
        denseDw(o, f32(x, be), f32(d, be), relu ? f32(y, be) : null, B, K, N);
        return tf.tensor(o, [K, N]);
      }
      // the layer's own array: its inactive entries are zero from the start and never written, so
      // no pass over all K·N entries (the pool never takes it: only arrays it handed out return)
      plan.dw ??= new Float32Array(K * N);
      if (plan.dwClear) {
        for (const i of plan.dwClear) plan.dw[i] = 0;
        plan.dwClear = undefined;
      }
      const cached = plan.xTOf === x.dataId;
      const x1 = cached ? plan.xT! : f32(x, be);
      nat.sparseDw(plan.dw, x1, dyT, s.inPtr, s.inIdx, { B, K, N, xIsT: cached, zero: false });
      return tf.tensor(plan.dw, [K, N]);
    },
    bias: () => {
      const o = new Float32Array(N);
      nat.sparseDb(o, dyT, { B, N });
      return tf.tensor(o, [N]);
    },
  };
}

/** dW = xᵀ·(dy ⊙ (y > 0)) over every connection, with the addon's dense product. */
function denseDw(
  o: Float32Array,
  x: Float32Array,
  dy: Float32Array,
  y: Float32Array | null,
  B: number,
  K: number,
  N: number,
) {
  const nat = nativeAddon()!;
  let g = dy;
  if (y) {
    g = new Float32Array(B * N);
    nat.reluGrad(g, dy, y);
  }
  nat.matmul(o, x, g, null, { m: K, n: N, k: B, transA: true });
}

function jsGrads(
  s: SparseStructure,
  plan: SparseLayerPlan,
  x: tf.Tensor,
  w: tf.Tensor,
  y: tf.Tensor,
  d: tf.Tensor,
  B: number,
  relu: boolean,
): Grads {
  const { K, N } = s;
  const dyv = d.dataSync() as Float32Array;
  const g = Float32Array.from(dyv);
  if (relu) {
    const yv = y.dataSync();
    for (let i = 0; i < g.length; i++) if (!(yv[i]! > 0)) g[i] = 0;
  }
  return {
    x: () => {
      const o = new Float32Array(B * K);
      jsSparseDx(o, g, w.dataSync() as Float32Array, B, s);
      return tf.tensor(o, [B, K]);
    },
    w: () => {
      if (plan.denseWeightGrad) return tf.matMul(x, tf.tensor(g, [B, N]), true, false);
      const o = new Float32Array(K * N);
      jsSparseDw(o, x.dataSync() as Float32Array, g, B, s);
      return tf.tensor(o, [K, N]);
    },
    bias: () => tf.sum(tf.tensor(g, [B, N]), 0),
  };
}

/**
 * A plan handle for `sparseDenseLayer`: one per layer, reused across steps (update its fields when
 * the mask changes). Release it with `releasePlan` when the layer is gone.
 */
export function createPlan(structure: SparseStructure, denseWeightGrad = false): number {
  const id = nextPlan++;
  plans.set(id, { structure, denseWeightGrad });
  return id;
}

export function planOf(id: number): SparseLayerPlan {
  return plans.get(id)!;
}

export function releasePlan(id: number): void {
  plans.delete(id);
}

/**
 * y = act(x·W + b) for x [batch, in], W [in, out] (zero off the plan's structure), b [out]: one op,
 * forward and gradients over the active connections only. Same function as the dense layer.
 */
export function sparseDenseLayer(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  bias: tf.Tensor | undefined,
  activation: 'relu' | 'linear',
  plan: number,
): tf.Tensor2D {
  const p = plans.get(plan)!;
  if (x.shape[1] !== p.structure.K || w.shape[0] !== p.structure.K || w.shape[1] !== p.structure.N)
    throw new Error(
      `sparse layer: x ${x.shape} and W ${w.shape} do not match the plan's ${p.structure.K}×${p.structure.N}`,
    );
  return tf
    .engine()
    .runKernel(SPARSE_DENSE, bias ? { x, w, bias } : { x, w }, { activation, plan }) as tf.Tensor2D;
}

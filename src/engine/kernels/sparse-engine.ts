/**
 * Which fully-connected layers run on the sparse kernels (sparse.ts). A training run binds its
 * masks to its weight variables; every dense layer whose weight is bound then runs sparse when its
 * density is at or below the break-even density measured on this CPU (`auto`), always (`on`), or
 * never (`off`): `--sparse-engine`, or SPRIG_SPARSE_ENGINE. Same function either way: the masked
 * weights are zero, so the sparse op computes the masked-dense layer's values.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { SprigError } from '../../util/errors.js';
import {
  SparseStructure,
  createPlan,
  mirrorArgs,
  mirrored,
  planOf,
  releasePlan,
  type SparseLayerPlan,
} from './sparse.js';
import * as sc from './sparse-conv.js';
import { sparseAddon, sparseConvAddon, type MirrorArgs } from './sparse-addon.js';

export const SPARSE_ENGINE_MODES = ['auto', 'on', 'off'] as const;
export type SparseEngineMode = (typeof SPARSE_ENGINE_MODES)[number];

/**
 * Density at or below which `auto` runs a layer sparse. Measured per layer shape with
 * `npx tsx bench/break-even.ts 128` (one layer's training step, sparse kernels against the dense
 * products, interleaved medians) on this machine (AMD EPYC, AVX-512, 2 cores): sparse was faster at
 * density 0.3 and below for 784×300, 300×100, 512×512 and 1024×1024 (0.25 for 2048×512), and never
 * for 100×10 (hence MIN_SPARSE_WEIGHTS). SPRIG_SPARSE_BREAK_EVEN overrides it.
 */
export const DEFAULT_BREAK_EVEN = 0.3;
/**
 * Below SMALL_BATCH examples (inference at batch 1), `auto` runs a layer sparse only at or below
 * this density: the dense product of a cache-resident layer is a fast matrix-vector product there.
 * `npx tsx bench/break-even.ts 1 infer` (the forward alone, hot caches): sparse was faster at 0.1
 * and below for 784×300, 300×100 and 512×512 (13 against 14 µs for 784×300 at 0.1, 4 against 13
 * at 0.02), at 0.4–0.5 for layers of 1M weights, which leave the cache.
 */
export const SMALL_BATCH_BREAK_EVEN = 0.1;
export const SMALL_BATCH = 8;
/** Layers with fewer weights than this stay dense: fixed per-call costs outweigh the saving. */
export const MIN_SPARSE_WEIGHTS = 4096;

let mode: SparseEngineMode = parseMode(process.env.SPRIG_SPARSE_ENGINE ?? 'auto', 'SPRIG_SPARSE_ENGINE');

function parseMode(v: string, where: string): SparseEngineMode {
  if ((SPARSE_ENGINE_MODES as readonly string[]).includes(v)) return v as SparseEngineMode;
  throw new SprigError(`${where} is '${v}'`, `use one of ${SPARSE_ENGINE_MODES.join(', ')}`);
}

export function setSparseEngine(m: string): void {
  mode = parseMode(m, '--sparse-engine');
  masksChanged(); // bound layers decide again
}

export function sparseEngineMode(): SparseEngineMode {
  return mode;
}

export function breakEvenDensity(): number {
  const v = Number(process.env.SPRIG_SPARSE_BREAK_EVEN);
  return v > 0 && v <= 1 ? v : DEFAULT_BREAK_EVEN;
}

/** The engine's settings, for `sprig info`. */
export function sparseEngineInfo() {
  const nat = sparseAddon();
  return {
    mode,
    kernels: nat ? `native, ${nat.sparseIsa()}` : 'plain JS (auto stays dense)',
    breakEvenDensity: breakEvenDensity(),
    minWeights: MIN_SPARSE_WEIGHTS,
  };
}

/** A bound layer: its mask, and the structure built from it (rebuilt when the masks change). */
interface Binding {
  name: string;
  mask: Float32Array;
  K: number;
  N: number;
  plan?: number;
  /** A conv filter's shape [kh, kw, cin, cout] (its plan is a sparse-conv.ts plan). */
  conv?: [number, number, number, number];
  epoch: number;
  sparse: boolean;
  density: number;
}

const bindings = new WeakMap<tf.Tensor, Binding>();
let maskEpoch = 0;
let denseWeightGrads = false;

/** What a layer ran on, for `sprig info` and run results. */
export interface SparseLayerReport {
  layer: string;
  density: number;
  engine: 'sparse' | 'dense';
}

/**
 * Binds masks (by weight name) to the weight variables of a training run; 2-D weights only.
 * Returns the function that unbinds them.
 */
export function bindSparseLayers(vars: Map<string, tf.Tensor>, masks: Map<string, Float32Array>): () => void {
  const bound: tf.Tensor[] = [];
  for (const [name, mask] of masks) {
    const v = vars.get(name);
    if (!v || (v.rank !== 2 && v.rank !== 4)) continue;
    const conv = v.rank === 4 ? (v.shape as [number, number, number, number]) : undefined;
    bindings.set(v, {
      name,
      mask,
      K: v.shape[0]!,
      N: v.shape[1]!,
      conv,
      epoch: -1,
      sparse: false,
      density: 1,
    });
    bound.push(v);
  }
  return () => {
    for (const v of bound) {
      const b = bindings.get(v);
      if (b) release(b);
      bindings.delete(v);
    }
  };
}

/** Call after changing any bound mask in place: the layers rebuild their structure before next use. */
export function masksChanged(): void {
  maskEpoch++;
}

/** Runs `fn` with dense weight gradients in the sparse layers (RigL's grow scores, SNFS's EMA, SNIP). */
export function withDenseWeightGradients<T>(fn: () => T): T {
  const before = denseWeightGrads;
  denseWeightGrads = true;
  try {
    return fn();
  } finally {
    denseWeightGrads = before;
  }
}

function refresh(b: Binding): void {
  if (b.epoch === maskEpoch) return;
  b.epoch = maskEpoch;
  let nnz = 0;
  for (let i = 0; i < b.mask.length; i++) if (b.mask[i] !== 0) nnz++;
  b.density = b.mask.length ? nnz / b.mask.length : 1;
  if (b.conv) {
    release(b);
    b.sparse = decideConv(b.density, b.conv);
    b.plan = b.sparse ? sc.createConvPlan(new sc.SparseConvStructure(b.conv, b.mask)) : undefined;
    return;
  }
  const before = b.plan === undefined ? undefined : planOf(b.plan);
  release(b);
  b.sparse = decide(b.density, b.mask.length);
  b.plan = b.sparse ? createPlan(new SparseStructure(b.K, b.N, b.mask)) : undefined;
  if (before && b.plan !== undefined) reuseBuffers(before, planOf(b.plan));
}

/**
 * A new plan of the same layer takes the old one's dW and transposed-input arrays: drop-and-grow
 * remakes plans every ΔT steps, and fresh megabyte arrays each time kept V8's collector busy
 * beside the kernels. The old dW may still be this step's gradient (GMP prunes, then steps), so
 * its old active entries are zeroed at the new plan's first backward (`dwClear`).
 */
function reuseBuffers(old: SparseLayerPlan, plan: SparseLayerPlan): void {
  if (old.dw && !old.dwClear) [plan.dw, plan.dwClear] = [old.dw, old.structure.active];
  plan.xT = old.xT;
}

function release(b: Binding): void {
  if (b.plan === undefined) return;
  if (b.conv) sc.releaseConvPlan(b.plan);
  else releasePlan(b.plan);
  b.plan = undefined;
}

/** Conv layers: their own break-even and channel floor (sparse-conv.ts). */
function decideConv(density: number, shape: [number, number, number, number]): boolean {
  if (mode === 'off') return false;
  if (mode === 'on') return true;
  return !!sparseConvAddon() && shape[2] >= sc.CONV_MIN_IN_CHANNELS && density <= sc.CONV_BREAK_EVEN;
}

function decide(density: number, size: number): boolean {
  if (mode === 'off') return false;
  if (mode === 'on') return true;
  // the JS kernels are no faster than TF.js's dense product: auto is native only
  return !!sparseAddon() && size >= MIN_SPARSE_WEIGHTS && density <= breakEvenDensity();
}

/** The sparse plan for weight `w` at this batch size, or undefined when its layer runs dense. */
export function sparsePlanFor(w: tf.Tensor, batch = SMALL_BATCH): number | undefined {
  const b = bindings.get(w);
  if (!b || b.conv) return undefined;
  refresh(b);
  if (b.plan === undefined) return undefined;
  if (mode === 'auto' && batch < SMALL_BATCH && b.density > SMALL_BATCH_BREAK_EVEN) return undefined;
  planOf(b.plan).denseWeightGrad = denseWeightGrads;
  return b.plan;
}

/**
 * The sparse conv plan (sparse-conv.ts) for filter `w` at this batch size, or undefined when it runs
 * dense. `auto` keeps batches below SMALL_BATCH dense: `sprig bench --sparse` measured the sparse
 * convolutions at batch 1 (90 % ERK) at 0.28× dense on Conv-4, 0.79× on ResNet-20, 0.49× on VGG-16.
 */
export function sparseConvPlanFor(w: tf.Tensor, batch = SMALL_BATCH): number | undefined {
  const b = bindings.get(w);
  if (!b?.conv) return undefined;
  refresh(b);
  if (b.plan === undefined) return undefined;
  if (mode === 'auto' && batch < SMALL_BATCH) return undefined;
  sc.convPlanOf(b.plan).denseWeightGrad = denseWeightGrads;
  return b.plan;
}

/**
 * The active positions of weight `w` when its layer runs sparse (optimizers update only those), and
 * the compact weight copies its kernels read, which the optimizer keeps in step.
 */
export function activeWeights(w: tf.Tensor): { active: Int32Array; mirror: MirrorArgs } | undefined {
  const b = bindings.get(w);
  if (!b) return undefined;
  refresh(b);
  if (b.plan === undefined) return undefined;
  if (b.conv) return { active: sc.convPlanOf(b.plan).structure.active, mirror: [null, null, null] };
  const plan = planOf(b.plan);
  return { active: plan.structure.active, mirror: mirrorArgs(plan) };
}

/**
 * A bound fully-connected layer's structure and compact weight mirrors, for the compiled engine
 * (engine/compiled): defined whenever the layer has a sparse plan (then its optimizer updates only
 * the active weights, at any batch size); `sparsePlanFor` says whether a batch runs on it. The
 * structure stays the same object until the mask changes.
 */
export function sparseLayerOf(
  w: tf.Tensor,
): { structure: SparseStructure; wIn: Float32Array; wOut: Float32Array } | undefined {
  const b = bindings.get(w);
  if (!b || b.conv) return undefined;
  refresh(b);
  if (b.plan === undefined) return undefined;
  const plan = planOf(b.plan);
  // no spread: the compiled engine asks per layer per call, and a spread costs microseconds
  const { wIn, wOut } = mirrored(plan, w.dataSync() as Float32Array, w.dataId);
  return { structure: plan.structure, wIn, wOut };
}

/** Per bound layer of `vars`: its density and whether it runs sparse now. */
export function sparseReport(vars: Map<string, tf.Tensor>): SparseLayerReport[] {
  const out: SparseLayerReport[] = [];
  for (const v of vars.values()) {
    const b = bindings.get(v);
    if (!b) continue;
    refresh(b);
    out.push({ layer: b.name, density: b.density, engine: b.sparse ? 'sparse' : 'dense' });
  }
  return out;
}

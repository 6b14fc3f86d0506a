/**
 * The addon's sparse kernels (native/src/sparse_linear.cc, sparse_conv.cc), linear and conv alike:
 * their functions (arrays first, then one options object, like every addon call), the probe that
 * finds them and the one switch that runs both layer kinds on their plain JS kernels instead.
 */
import {
  nativeAddon,
  type AdamOptions,
  type ConvGeometry,
  type NativeAddon,
  type SgdOptions,
} from './addon.js';

/** Sizes of a sparse fully-connected call: batch B, K inputs, N outputs. */
export interface SparseDims {
  B: number;
  K: number;
  N: number;
}

/** A plan's mirror as the optimizer kernels take it: wIn, wOut, slot (or three nulls). */
export type MirrorArgs = [Float32Array | null, Float32Array | null, Int32Array | null];

/** The sparse fully-connected kernels and the optimizer updates over active weights. */
export interface SparseAddon {
  /** The instruction set in use; a name ('avx512' | 'avx2' | 'scalar' | 'best') switches to it. */
  sparseIsa(name?: string): string;
  /**
   * xT: keeps the transposed input [K, ld] here, for sparseDw(…, xIsT). wOut, wIn: the active
   * weights in by-output and by-input order (a plan's mirrors), read instead of w.
   */
  sparseForward(
    y: Float32Array,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    outPtr: Int32Array,
    outIdx: Int32Array,
    inPtr: Int32Array,
    inIdx: Int32Array,
    xT: Float32Array | null,
    wOut: Float32Array | null,
    wIn: Float32Array | null,
    o: SparseDims & { relu: boolean },
  ): void;
  /** dyT [N, ld] = transpose(dy ⊙ (y > 0)), ld = B rounded up to 16. */
  sparseGradOut(dyT: Float32Array, dy: Float32Array, y: Float32Array | null, o: Omit<SparseDims, 'K'>): void;
  /** wIn: the active weights in by-input order (a plan's mirror), read instead of w. */
  sparseDx(
    dx: Float32Array,
    dyT: Float32Array,
    w: Float32Array,
    inPtr: Int32Array,
    inIdx: Int32Array,
    wIn: Float32Array | null,
    o: SparseDims,
  ): void;
  /** xIsT: x is already transposed to [K, ld] (sparseForward's xT); zero: zero dw's inactive entries too. */
  sparseDw(
    dw: Float32Array,
    x: Float32Array,
    dyT: Float32Array,
    inPtr: Int32Array,
    inIdx: Int32Array,
    o: SparseDims & { xIsT: boolean; zero: boolean },
  ): void;
  sparseDb(db: Float32Array, dyT: Float32Array, o: Omit<SparseDims, 'K'>): void;
  /** SGD at the positions idx; m (and Adam's m, v) one entry per weight, or per idx entry (compact). */
  sgdActive(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array | null,
    idx: Int32Array,
    ...mirrorAndOptions: [...MirrorArgs, SgdOptions]
  ): void;
  /** Adam with the weight decay added to the gradient (no decoupled form over active weights). */
  adamActive(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    idx: Int32Array,
    ...mirrorAndOptions: [...MirrorArgs, Omit<AdamOptions, 'decoupled'>]
  ): void;
}

/** The sparse convolution kernels; xp, dyp: x and dy already packed (then not read). */
export interface SparseConvAddon {
  /** The instruction set in use; a name ('avx512' | 'avx2' | 'portable' | 'best') switches to it. */
  sparseConvIsa(name?: string): string;
  /** Element counts of the packed x and dy layouts ([pixel][channel][batch rounded up to 16], padded). */
  sparseConvPackedSizes(g: ConvGeometry): [number, number];
  sparseConvPackX(xp: Float32Array, x: Float32Array, g: ConvGeometry): void;
  sparseConvPackDy(dyp: Float32Array, dy: Float32Array, g: ConvGeometry): void;
  sparseConvFwd(
    y: Float32Array,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    outPtr: Int32Array,
    outIdx: Int32Array,
    xp: Float32Array | null,
    o: ConvGeometry & { relu: boolean },
  ): void;
  sparseConvBwdData(
    dx: Float32Array,
    dy: Float32Array,
    w: Float32Array,
    inPtr: Int32Array,
    inIdx: Int32Array,
    dyp: Float32Array | null,
    g: ConvGeometry,
  ): void;
  sparseConvBwdWeights(
    dw: Float32Array,
    x: Float32Array,
    dy: Float32Array,
    outPtr: Int32Array,
    outIdx: Int32Array,
    xp: Float32Array | null,
    dyp: Float32Array | null,
    g: ConvGeometry,
  ): void;
}

let forceJs = false;

/** Runs the sparse layers (linear and conv) on their plain JS kernels even with the addon (tests compare). */
export function useJsSparseKernels(on: boolean): void {
  forceJs = on;
}

/** The native sparse fully-connected kernels, when the addon is loaded and has them. */
export function sparseAddon(): SparseAddon | undefined {
  const a = forceJs ? undefined : (nativeAddon() as (NativeAddon & Partial<SparseAddon>) | undefined);
  return a?.sparseForward ? (a as unknown as SparseAddon) : undefined;
}

/** The native sparse convolution kernels, when the addon is loaded and has them. */
export function sparseConvAddon(): SparseConvAddon | undefined {
  const a = forceJs ? undefined : (nativeAddon() as (NativeAddon & Partial<SparseConvAddon>) | undefined);
  return a?.sparseConvFwd ? (a as unknown as SparseConvAddon) : undefined;
}

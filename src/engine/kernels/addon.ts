/**
 * The functions the native addon (native/src/*.cc) exports. Arrays come first, outputs before inputs;
 * then one options object with the call's numbers and flags, which the addon checks field by field
 * (a missing or mistyped field throws a TypeError naming it).
 */
/** The fp32 peak `peakFlops` measured: GFLOP/s over `threads` threads with the `isa` vectors. */
export interface PeakFlops {
  gflops: number;
  threads: number;
  isa: string;
}

export interface NativeAddon {
  info(): { threads: number; adaptive: boolean; dnnl: boolean };
  /** Fixes the thread count (n > 0), or restores the default (0): all cores, one while the machine is busy. */
  setThreads(n: number): void;
  /** This machine's measured fp32 peak: a register-only FMA loop on every thread for about `ms` (native/src/peak.cc). */
  peakFlops(ms?: number): PeakFlops;
  /** C[b] = op(A[b])·op(B[b]) (+ bias[N]) then activation. */
  matmul(
    c: Float32Array,
    a: Float32Array,
    b: Float32Array,
    bias: Float32Array | null,
    o: MatmulOptions,
  ): void;
  convFwd(
    y: Float32Array,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    o: ConvGeometry & Activation,
  ): void;
  convBwdData(dx: Float32Array, dy: Float32Array, w: Float32Array, o: ConvGeometry): void;
  convBwdWeights(dw: Float32Array, x: Float32Array, dy: Float32Array, o: ConvGeometry): void;
  /** Which implementations oneDNN picks for this conv (diagnostics). */
  convImpl(o: ConvGeometry): string;
  binary(out: Float32Array, a: Float32Array, b: Float32Array, o: BinaryOptions): void;
  unary(out: Float32Array, x: Float32Array, o: { op: number; alpha?: number }): void;
  /** out[outer, inner] = op over the middle axis of x[outer, r, inner]. */
  reduce(
    out: Float32Array,
    x: Float32Array,
    o: { op: number; outer: number; r: number; inner: number },
  ): void;
  maxPool(out: Float32Array, x: Float32Array, o: PoolGeometry): void;
  avgPool(out: Float32Array, x: Float32Array, o: PoolGeometry): void;
  /** y: the forward output (the window maxima), which lets disjoint windows skip a pass over x. */
  maxPoolGrad(
    dx: Float32Array,
    dy: Float32Array,
    x: Float32Array,
    y: Float32Array | null,
    o: PoolGeometry,
  ): void;
  avgPoolGrad(dx: Float32Array, dy: Float32Array, o: PoolGeometry): void;
  /** Inference-form batch norm; mean, variance, offset and scale have 1 or `channels` entries. */
  batchNorm(
    out: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    offset: Float32Array | null,
    scale: Float32Array | null,
    o: Channels,
  ): void;
  /** Softmax (log-softmax with `log`) over rows of `depth` entries. */
  softmax(out: Float32Array, x: Float32Array, o: { depth: number; log: boolean }): void;
  reluGrad(dx: Float32Array, dy: Float32Array, x: Float32Array): void;
  fusedBatchNormGrad(
    dx: Float32Array | null,
    dmean: Float32Array,
    dvar: Float32Array,
    dscale: Float32Array,
    doffset: Float32Array,
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    scale: Float32Array | null,
    o: Channels,
  ): void;
  /** `residual` is added after the normalisation (fused residual), then ReLU if `relu`. */
  bnTrain(
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    x: Float32Array,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    residual: Float32Array | null,
    o: Channels & { relu: boolean },
  ): void;
  /**
   * y: the forward output of a fused ReLU (dy is masked by step(y) first); dres receives the
   * (masked) dy: the gradient of a fused residual input.
   */
  bnTrainGrad(
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    gamma: Float32Array | null,
    y: Float32Array | null,
    dres: Float32Array | null,
    o: Channels,
  ): void;
  sgd(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array | null,
    mask: Float32Array | null,
    o: SgdOptions,
  ): void;
  adam(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    mask: Float32Array | null,
    o: AdamOptions,
  ): void;
}

/** A fused activation (ACT codes; alpha is the leaky-ReLU slope). Both default to 0 (linear). */
export interface Activation {
  act?: number;
  alpha?: number;
}

/** m×k times k×n products; batchA/batchB (default 1) products per operand; impl 0 picks per size. */
export interface MatmulOptions extends Activation {
  m: number;
  n: number;
  k: number;
  batchA?: number;
  batchB?: number;
  transA?: boolean;
  transB?: boolean;
  impl?: number;
}

/** A 2-D convolution's geometry (NHWC, filters [kh, kw, in, out]): TF.js's Conv2DInfo, pads flattened. */
export interface ConvGeometry {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  filterHeight: number;
  filterWidth: number;
  outChannels: number;
  outHeight: number;
  outWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
  dilationHeight: number;
  dilationWidth: number;
}

/** A 2-D pooling's geometry (NHWC), named as ConvGeometry. */
export type PoolGeometry = Pick<
  ConvGeometry,
  | 'batchSize'
  | 'inHeight'
  | 'inWidth'
  | 'inChannels'
  | 'outHeight'
  | 'outWidth'
  | 'filterHeight'
  | 'filterWidth'
  | 'strideHeight'
  | 'strideWidth'
  | 'padTop'
  | 'padLeft'
>;

/**
 * mode 0: same size; 1: b scalar; 2: a scalar; 3: b repeats every bn (rows of a); 4: a repeats;
 * 5: b per row (b[i / bn]); 6: general strides over `shape` (strides 0 on broadcast dimensions).
 */
export interface BinaryOptions {
  op: number;
  mode: number;
  bn?: number;
  shape?: number[];
  stridesA?: number[];
  stridesB?: number[];
}

/** Channels last: `channels` is the length of the last axis; eps is added to the variance. */
export interface Channels {
  channels: number;
  eps: number;
}

export interface SgdOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** The step count t ≥ 1 for the bias corrections. */
  step: number;
  decoupled: boolean;
}

let loaded: NativeAddon | undefined;

/** The loaded addon (for kernels, benchmarks and tests), or undefined on the pure-JS engine. */
export function nativeAddon(): NativeAddon | undefined {
  return loaded;
}

/** Called once by the engine (native.ts) when the addon has loaded. */
export function setNativeAddon(a: NativeAddon): void {
  loaded = a;
}

/** The functions the native addon (native/src/*.cc) exports. Outputs are always the first argument. */
export interface NativeAddon {
  info(): { threads: number; adaptive: boolean; dnnl: boolean };
  /** Fixes the thread count (n > 0), or restores the default (0): all cores, one while the machine is busy. */
  setThreads(n: number): void;
  /** C[b] = op(A[b])·op(B[b]) (+ bias[N]) then activation; impl 0 = pick per size. */
  matmul(
    c: Float32Array,
    a: Float32Array,
    b: Float32Array,
    batchA: number,
    batchB: number,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    bias: Float32Array | null,
    act: number,
    alpha: number,
    impl: number,
  ): void;
  /** params: N,H,W,C, KH,KW,O, OH,OW, sh,sw, pt,pl,pb,pr, dh,dw */
  convFwd(
    y: Float32Array,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    params: number[],
    act: number,
    alpha: number,
  ): void;
  convBwdData(dx: Float32Array, dy: Float32Array, w: Float32Array, params: number[]): void;
  convBwdWeights(dw: Float32Array, x: Float32Array, dy: Float32Array, params: number[]): void;
  convImpl(params: number[]): string;
  binary(
    op: number,
    out: Float32Array,
    a: Float32Array,
    b: Float32Array,
    mode: number,
    bn: number,
    shape?: number[],
    stridesA?: number[],
    stridesB?: number[],
  ): void;
  unary(op: number, out: Float32Array, x: Float32Array, alpha: number): void;
  reduce(op: number, out: Float32Array, x: Float32Array, outer: number, r: number, inner: number): void;
  /** params: N,H,W,C, OH,OW, fh,fw, sh,sw, pt,pl */
  maxPool(out: Float32Array, x: Float32Array, params: number[]): void;
  avgPool(out: Float32Array, x: Float32Array, params: number[]): void;
  /** y: the forward output (the window maxima), which lets disjoint windows skip a pass over x. */
  maxPoolGrad(
    dx: Float32Array,
    dy: Float32Array,
    x: Float32Array,
    params: number[],
    y?: Float32Array | null,
  ): void;
  avgPoolGrad(dx: Float32Array, dy: Float32Array, params: number[]): void;
  batchNorm(
    out: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    offset: Float32Array | null,
    scale: Float32Array | null,
    c: number,
    eps: number,
  ): void;
  softmax(out: Float32Array, x: Float32Array, d: number, log: boolean): void;
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
    c: number,
    eps: number,
  ): void;
  bnTrain(
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    x: Float32Array,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    c: number,
    eps: number,
    /** Added after the normalisation (fused residual), then `relu` if set. */
    residual?: Float32Array | null,
    relu?: boolean,
  ): void;
  bnTrainGrad(
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    gamma: Float32Array | null,
    c: number,
    eps: number,
    /** The forward output of a fused ReLU: dy is masked by step(y) first. */
    y?: Float32Array | null,
    /** Receives the (masked) dy: the gradient of a fused residual input. */
    dres?: Float32Array | null,
  ): void;
  sgd(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array | null,
    mask: Float32Array | null,
    lr: number,
    momentum: number,
    weightDecay: number,
    nesterov: boolean,
  ): void;
  adam(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    mask: Float32Array | null,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    step: number,
    decoupled: boolean,
  ): void;
}

export const ACT: Record<string, number | undefined> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  sigmoid: 3,
  elu: 4,
  leakyrelu: 5,
};
export const BIN = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
} as const;
export const UN = {
  Relu: 0,
  Step: 1,
  Neg: 2,
  Exp: 3,
  Log: 4,
  Sqrt: 5,
  Rsqrt: 6,
  Square: 7,
  Sigmoid: 8,
  Tanh: 9,
  Abs: 10,
  Relu6: 11,
} as const;
export const RED = { Sum: 0, Mean: 1, Max: 2, Min: 3 } as const;

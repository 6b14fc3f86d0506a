/**
 * Sparse 2-D convolution layers: y = act(conv2d(x, W) + b) computed only at the filter's active
 * connections, as one differentiable op whose input and weight gradients are sparse too (dW is
 * zero off the mask, or dense on request: RigL's grow scores). Same shape as `convLayer`
 * (layers.ts): NHWC activations, W [kh, kw, cin, cout] in its dense variable (zeros where masked),
 * so the optimizer, checkpoints and masks work unchanged. A `SparseConvStructure` holds the active
 * connections and is rebuilt from the mask when the mask changes. Native kernels
 * (native/src/sparse_conv*.cc) when the addon is loaded, plain JS otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeAddon } from './addon.js';
import { alloc, valuesOf } from '../pool.js';
import { convGeometry, convParams } from './geometry.js';
import type { CpuBackend, KernelArgs } from './cpu-backend.js';
import { CompressedRows, maskOf } from './csr.js';
import { SPRIG_KERNELS } from './names.js';
import { sparseConvAddon } from './sparse-addon.js';

/**
 * `auto` runs a conv layer sparse at or below this density, and only with at least this many input
 * channels: bench/sparse-conv.ts on this machine (AMD EPYC Zen 5, 2 cores, loaded) puts the
 * break-even of Conv-4's and VGG-16's 64-512-channel layers at 0.14-0.28 and of ResNet-20's
 * 64-channel layers at 0.16, while 3-32-channel layers (first layers, ResNet-20's first two stages,
 * 1×1 shortcuts) are slower sparse at every density: packing the activations into the batch-innermost
 * layout costs more than the product there.
 */
export const CONV_BREAK_EVEN = 0.15;
export const CONV_MIN_IN_CHANNELS = 64;

/**
 * The active connections of a filter [KH, KW, C, O] as flat indices ((kh·KW + kw)·C + c)·O + o,
 * grouped two ways: by output channel (forward, weight gradient) and by input channel (input
 * gradient). Both CSR; within a group ascending.
 */
export class SparseConvStructure extends CompressedRows {
  constructor(
    readonly shape: readonly [number, number, number, number],
    mask: Float32Array,
  ) {
    const [, , C, O] = shape;
    super(
      maskOf(mask, shape, 'filter'),
      { outputs: O, inputs: C },
      (i) => i % O,
      (i) => Math.floor(i / O) % C,
      { byOutput: (i) => i, byInput: (i) => i },
    );
  }

  protected get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
}

// ---------------------------------------------------------------- plain JS kernels (fallback, tests)

/** The 17 conv parameters (convParams' order) as named fields. */
function unpack(p: readonly number[]) {
  const [N, H, W, C, KH, KW, O, OH, OW, sh, sw, pt, pl, , , dh, dw] = p as number[];
  return {
    N: N!,
    H: H!,
    W: W!,
    C: C!,
    KH: KH!,
    KW: KW!,
    O: O!,
    OH: OH!,
    OW: OW!,
    sh: sh!,
    sw: sw!,
    pt: pt!,
    pl: pl!,
    dh: dh!,
    dw: dw!,
  };
}

/** Visits every (active tap, output pixel, image) with its input position in range. */
function forEachUse(
  p: readonly number[],
  idx: Int32Array,
  f: (i: number, xOff: number, yOff: number, c: number, o: number) => void,
): void {
  const { N, H, W, C, KW, O, OH, OW, sh, sw, pt, pl, dh, dw } = unpack(p);
  for (const i of idx) {
    const o = i % O,
      c = Math.floor(i / O) % C,
      t = Math.floor(i / (O * C)),
      kw = t % KW,
      kh = Math.floor(t / KW);
    for (let n = 0; n < N; n++)
      for (let oh = 0; oh < OH; oh++) {
        const h = oh * sh + kh * dh - pt;
        if (h < 0 || h >= H) continue;
        for (let ow = 0; ow < OW; ow++) {
          const w = ow * sw + kw * dw - pl;
          if (w < 0 || w >= W) continue;
          f(i, ((n * H + h) * W + w) * C + c, ((n * OH + oh) * OW + ow) * O + o, c, o);
        }
      }
  }
}

export function jsSparseConvFwd(
  y: Float32Array,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  p: readonly number[],
  relu: boolean,
  s: SparseConvStructure,
): void {
  const O = unpack(p).O;
  const acc = new Float64Array(y.length);
  forEachUse(p, s.outIdx, (i, xo, yo) => (acc[yo]! += w[i]! * x[xo]!));
  for (let k = 0; k < y.length; k++) {
    const v = acc[k]! + (bias ? bias[k % O]! : 0);
    y[k] = relu && !(v > 0) ? 0 : v;
  }
}

export function jsSparseConvBwdData(
  dx: Float32Array,
  g: Float32Array,
  w: Float32Array,
  p: readonly number[],
  s: SparseConvStructure,
): void {
  const acc = new Float64Array(dx.length);
  forEachUse(p, s.outIdx, (i, xo, yo) => (acc[xo]! += w[i]! * g[yo]!));
  dx.set(acc);
}

export function jsSparseConvBwdWeights(
  dw: Float32Array,
  x: Float32Array,
  g: Float32Array,
  p: readonly number[],
  s: SparseConvStructure,
): void {
  const acc = new Float64Array(dw.length);
  forEachUse(p, s.outIdx, (i, xo, yo) => (acc[i]! += x[xo]! * g[yo]!));
  dw.set(acc);
}

// ---------------------------------------------------------------- the differentiable op

const SPARSE_CONV = SPRIG_KERNELS.sparseConv2D;

/** What the op needs besides its tensors: the layer's structure and how to compute dW. */
export interface SparseConvPlan {
  structure: SparseConvStructure;
  /** dW over all connections (the dense kernel): RigL's grow scores, SNFS's gradient EMA. */
  denseWeightGrad: boolean;
  /**
   * The layer's packed x from its last forward pass (and which output it made), reused by the
   * weight gradient; and the packed dy buffer of its backward pass. Reused across steps.
   */
  xp?: Float32Array;
  xpFor?: object;
  dyp?: Float32Array;
}

/** The plan's packed buffer of n elements (grown when a batch gets larger). */
function buffer(b: Float32Array | undefined, n: number): Float32Array {
  return b && b.length >= n ? b : new Float32Array(n);
}

// Plans by id: TF.js hands attributes through to the gradient function; a number travels safely.
const plans = new Map<number, SparseConvPlan>();
let nextPlan = 0;

function convInfo(x: readonly number[], filter: readonly number[], attrs: Record<string, unknown>) {
  return tf.backend_util.computeConv2DInfo(
    x as [number, number, number, number],
    filter as [number, number, number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as 'same',
    undefined,
    false,
    'channelsLast',
  );
}

const f32 = (t: tf.TensorInfo, be: unknown): Float32Array => valuesOf(t, be);

/** SprigSparseConv2D's gradient (kernels/gradients.ts lists it). */
export function sparseConvGradient(): tf.GradConfig {
  return {
    kernelName: SPARSE_CONV,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: sparseConvGradients,
  };
}

/** SprigSparseConv2D's kernel (kernels/register.ts lists it): the addon's when loaded, else JS. */
export function sparseConvKernel(a: unknown): tf.TensorInfo {
  const args = a as KernelArgs;
  const be = args.backend as CpuBackend;
  const { x, filter, bias } = args.inputs;
  const plan = plans.get(args.attrs!.plan as number)!;
  const s = plan.structure;
  const ci = convInfo(x!.shape, filter!.shape, args.attrs!);
  const relu = args.attrs!.activation === 'relu';
  const y = alloc(ci.outShape.reduce((u, v) => u * v, 1));
  const xv = f32(x!, be),
    wv = f32(filter!, be),
    bv = bias ? f32(bias, be) : null;
  const nat = sparseConvAddon();
  if (nat) {
    // x packed once, kept for the weight gradient
    const g = convGeometry(ci);
    plan.xp = buffer(plan.xp, nat.sparseConvPackedSizes(g)[0]);
    nat.sparseConvPackX(plan.xp, xv, g);
    nat.sparseConvFwd(y, xv, wv, bv, s.outPtr, s.outIdx, plan.xp, { ...g, relu });
  } else jsSparseConvFwd(y, xv, wv, bv, convParams(ci), relu, s);
  const out = be.makeTensorInfo(ci.outShape, 'float32', y);
  plan.xpFor = out.dataId;
  return out;
}

/** What the three gradients share: dy masked by the ReLU, and both packings when the addon runs. */
interface ConvBackward {
  plan: SparseConvPlan;
  ci: ReturnType<typeof convInfo>;
  p: ReturnType<typeof convParams>;
  geometry: ReturnType<typeof convGeometry>;
  g: Float32Array;
  dyp: Float32Array | null;
  xp: Float32Array | null;
}

function sparseConvGradients(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const [x, w, y] = saved;
  const d = dy as tf.Tensor;
  const plan = plans.get(attrs.plan as number)!;
  const be = tf.backend();
  const ci = convInfo(x!.shape, w!.shape, attrs as unknown as Record<string, unknown>);
  const p = convParams(ci);
  const geometry = convGeometry(ci);
  const nat = sparseConvAddon();
  const dense = nativeAddon();
  // dy masked by the ReLU, shared by the three gradients; a tensor of the backward scope, so its
  // array returns to the pool when backprop ends
  let g = f32(d, be);
  if (attrs.activation === 'relu') {
    const yv = f32(y!, be);
    const m = alloc(d.size);
    if (dense) dense.reluGrad(m, g, yv);
    else for (let i = 0; i < m.length; i++) m[i] = yv[i]! > 0 ? g[i]! : 0;
    tf.tensor(m, d.shape);
    g = m;
  }
  // dy packed once for both gradients; x's packing from the forward pass when it made this y
  let dyp: Float32Array | null = null,
    xp: Float32Array | null = null;
  if (nat) {
    const [xLen, dyLen] = nat.sparseConvPackedSizes(geometry);
    dyp = plan.dyp = buffer(plan.dyp, dyLen);
    nat.sparseConvPackDy(dyp, g, geometry);
    if (plan.xp && plan.xpFor === y!.dataId && plan.xp.length >= xLen) xp = plan.xp;
  }
  const bw: ConvBackward = { plan, ci, p, geometry, g, dyp, xp };
  return {
    x: () => {
      const o = alloc(x!.size);
      const s = plan.structure;
      if (nat) nat.sparseConvBwdData(o, g, f32(w!, be), s.inPtr, s.inIdx, dyp, geometry);
      else jsSparseConvBwdData(o, g, f32(w!, be), p, plan.structure);
      return tf.tensor(o, x!.shape);
    },
    filter: () => filterGradient(bw, x!, w!),
    bias: () => {
      const C = ci.outChannels,
        o = new Float32Array(C);
      if (dense) dense.reduce(o, g, { op: 0, outer: 1, r: d.size / C, inner: C });
      else for (let i = 0; i < g.length; i++) o[i % C]! += g[i]!;
      return tf.tensor(o, [C]);
    },
  };
}

/** The weight gradient: at the active weights only, or dense when the plan asks (RigL's update steps). */
function filterGradient(
  { plan, p, geometry, g, dyp, xp }: ConvBackward,
  x: tf.Tensor,
  w: tf.Tensor,
): tf.Tensor {
  const be = tf.backend();
  const s = plan.structure;
  const nat = sparseConvAddon();
  const dense = nativeAddon();
  if (plan.denseWeightGrad && dense) {
    const o = alloc(w.size);
    dense.convBwdWeights(o, f32(x, be), g, geometry);
    return tf.tensor(o, w.shape);
  }
  // without the addon, the JS kernel over every connection
  const all = plan.denseWeightGrad ? new SparseConvStructure(s.shape, new Float32Array(w.size).fill(1)) : s;
  const o = alloc(w.size);
  if (nat && !plan.denseWeightGrad)
    nat.sparseConvBwdWeights(o, f32(x, be), g, s.outPtr, s.outIdx, xp, dyp, geometry);
  else jsSparseConvBwdWeights(o, f32(x, be), g, p, all);
  return tf.tensor(o, w.shape);
}

/**
 * A plan handle for `sparseConvLayer`: one per layer, reused across steps (update its fields when
 * the mask changes). Release it with `releaseConvPlan` when the layer is gone.
 */
export function createConvPlan(structure: SparseConvStructure, denseWeightGrad = false): number {
  const id = nextPlan++;
  plans.set(id, { structure, denseWeightGrad });
  return id;
}

export function convPlanOf(id: number): SparseConvPlan {
  return plans.get(id)!;
}

export function releaseConvPlan(id: number): void {
  plans.delete(id);
}

/**
 * y = act(conv2d(x, W, stride, pad) + b), NHWC, W [kh, kw, cin, cout] zero off the plan's
 * structure: one op, forward and gradients over the active connections only. Same function as
 * `convLayer` (layers.ts) and tf.fused.conv2d.
 */
export function sparseConvLayer(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | [number, number],
  pad: 'same' | 'valid' | number,
  bias: tf.Tensor | undefined,
  activation: 'relu' | 'linear',
  plan: number,
): tf.Tensor4D {
  const s = plans.get(plan)!.structure;
  if (filter.shape.some((v, i) => v !== s.shape[i]) || x.shape[3] !== s.shape[2])
    throw new Error(
      `sparse conv: x ${x.shape} and W ${filter.shape} do not match the plan's filter ${s.shape.join('×')}`,
    );
  return tf.engine().runKernel(SPARSE_CONV, bias ? { x, filter, bias } : { x, filter }, {
    strides,
    pad,
    activation,
    plan,
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

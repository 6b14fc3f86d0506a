/**
 * Native kernels for the TF.js CPU backend. Each wrapper reads the backend's own Float32Arrays,
 * calls the addon, and hands back a new tensor; any case it does not cover (other dtypes, NCHW,
 * dilated gradients, PReLU, odd broadcasts) or any native error runs the original JS kernel, kept
 * in `originals` so tests can compare the two.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ACT, BIN, RED, UN, type NativeAddon } from './addon.js';
import { BN_TRAIN, BN_TRAIN_GRAD } from './batchnorm.js';
import { registerLayerKernels } from './layers.js';
import { alloc } from '../pool.js';
import type { CpuBackend, KernelArgs } from './cpu-backend.js';

type TensorInfo = tf.TensorInfo;
/** A native implementation returns null when it does not cover the case (the JS kernel runs). */
type Impl = (args: KernelArgs, be: CpuBackend) => TensorInfo | null;

const originals = new Map<string, tf.KernelFunc>();
/** Calls served natively / handed to the JS kernel, by kernel name (tests and profiles read it). */
export const nativeCounts = {
  native: new Map<string, number>(),
  fallback: new Map<string, number>(),
  errors: new Map<string, string>(),
};
const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);

/** The original JS kernel function for `name` on the CPU backend (after native registration too). */
export function jsKernel(name: string): tf.KernelFunc | undefined {
  return originals.get(name) ?? tf.getKernel(name, 'cpu')?.kernelFunc;
}

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function f32(be: CpuBackend, t: TensorInfo | undefined): Float32Array | null {
  if (!t || t.dtype !== 'float32') return null;
  const v = be.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : null;
}

function out(be: CpuBackend, shape: number[], values: Float32Array): TensorInfo {
  return be.makeTensorInfo(shape, 'float32', values);
}

function dataFormatOk(f: unknown): boolean {
  return f === undefined || f === 'NHWC' || f === 'channelsLast';
}

/** A conv's geometry in the order the addon's conv functions take it. */
export function convParams(ci: tf.backend_util.Conv2DInfo): number[] {
  const p = ci.padInfo;
  return [
    ci.batchSize,
    ci.inHeight,
    ci.inWidth,
    ci.inChannels,
    ci.filterHeight,
    ci.filterWidth,
    ci.outChannels,
    ci.outHeight,
    ci.outWidth,
    ci.strideHeight,
    ci.strideWidth,
    p.top,
    p.left,
    p.bottom,
    p.right,
    ci.dilationHeight,
    ci.dilationWidth,
  ];
}

function poolParams(ci: tf.backend_util.Conv2DInfo): number[] {
  return [
    ci.batchSize,
    ci.inHeight,
    ci.inWidth,
    ci.inChannels,
    ci.outHeight,
    ci.outWidth,
    ci.filterHeight,
    ci.filterWidth,
    ci.strideHeight,
    ci.strideWidth,
    ci.padInfo.top,
    ci.padInfo.left,
  ];
}

function makeImpls(nat: NativeAddon): Record<string, Impl> {
  const matmul = (args: KernelArgs, be: CpuBackend, fused: boolean): TensorInfo | null => {
    const { a, b } = args.inputs;
    const A = f32(be, a),
      B = f32(be, b);
    if (!A || !B || !a || !b || a.shape.length < 2 || b.shape.length < 2) return null;
    const attrs = args.attrs ?? {};
    const ta = Boolean(attrs.transposeA),
      tb = Boolean(attrs.transposeB);
    let bias: Float32Array | null = null;
    let act = 0,
      alpha = 0;
    const ra = a.shape.length,
      rb = b.shape.length;
    const M = ta ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const K = ta ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const N = tb ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    if ((tb ? b.shape[rb - 1] : b.shape[rb - 2]) !== K) return null;
    if (fused) {
      if (args.inputs.preluActivationWeights) return null;
      const a0 = ACT[String(attrs.activation ?? 'linear')];
      if (a0 === undefined) return null;
      act = a0;
      alpha = Number(attrs.leakyreluAlpha ?? 0.2);
      if (args.inputs.bias) {
        const bt = args.inputs.bias;
        bias = f32(be, bt);
        // Only a bias that broadcasts along rows ([N], [1,N], ...) is fused natively.
        if (!bias || bias.length !== N || bt.shape[bt.shape.length - 1] !== N) return null;
      }
    }
    const outerA = a.shape.slice(0, -2),
      outerB = b.shape.slice(0, -2);
    const bA = size(outerA),
      bB = size(outerB);
    let outer: number[];
    if (bA === bB && outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]))
      outer = outerA;
    else if (bB === 1)
      outer =
        outerA.length >= outerB.length
          ? outerA
          : [...outerB.slice(0, outerB.length - outerA.length), ...outerA];
    else if (bA === 1)
      outer =
        outerB.length >= outerA.length
          ? outerB
          : [...outerA.slice(0, outerA.length - outerB.length), ...outerB];
    else return null;
    const batch = Math.max(bA, bB);
    const C = alloc(batch * M * N);
    nat.matmul(C, A, B, bA, bB, M, N, K, ta, tb, bias, act, alpha, 0);
    return out(be, [...outer, M, N], C);
  };

  const conv = (args: KernelArgs, be: CpuBackend, fused: boolean): TensorInfo | null => {
    const { x, filter } = args.inputs;
    const X = f32(be, x),
      W = f32(be, filter);
    const attrs = args.attrs ?? {};
    if (!X || !W || !x || !filter || x.shape.length !== 4 || !dataFormatOk(attrs.dataFormat)) return null;
    const ci = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides as [number, number],
      (attrs.dilations ?? 1) as [number, number],
      attrs.pad as 'same',
      attrs.dimRoundingMode as 'floor',
      false,
      'channelsLast',
    );
    let bias: Float32Array | null = null,
      act = 0,
      alpha = 0;
    if (fused) {
      if (args.inputs.preluActivationWeights) return null;
      const a0 = ACT[String(attrs.activation ?? 'linear')];
      if (a0 === undefined) return null;
      act = a0;
      alpha = Number(attrs.leakyreluAlpha ?? 0.2);
      if (args.inputs.bias) {
        bias = f32(be, args.inputs.bias);
        if (!bias || bias.length !== ci.outChannels) return null;
      }
    }
    const y = alloc(size(ci.outShape));
    if (y.length === 0) return null;
    nat.convFwd(y, X, W, bias, convParams(ci), act, alpha);
    return out(be, ci.outShape, y);
  };

  const binary =
    (op: number) =>
    (args: KernelArgs, be: CpuBackend): TensorInfo | null => {
      const { a, b } = args.inputs;
      const A = f32(be, a),
        B = f32(be, b);
      if (!A || !B || !a || !b) return null;
      const os = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const n = size(os);
      if (n === 0) return null;
      const o = alloc(n);
      const r = os.length;
      const pad = (s: number[]): number[] => [...new Array<number>(r - s.length).fill(1), ...s];
      const pa = pad(a.shape),
        pb = pad(b.shape);
      const trailing = (p: number[]): boolean => {
        // p equals os on its trailing dims after its leading 1s
        let k = 0;
        while (k < r && p[k] === 1) k++;
        for (let d = k; d < r; d++) if (p[d] !== os[d]) return false;
        return true;
      };
      const leading = (p: number[]): boolean => {
        // p equals os on leading dims, 1 on trailing ones
        let k = r;
        while (k > 0 && p[k - 1] === 1) k--;
        for (let d = 0; d < k; d++) if (p[d] !== os[d]) return false;
        return true;
      };
      if (A.length === n && B.length === n) nat.binary(op, o, A, B, 0, 0);
      else if (B.length === 1 && A.length === n) nat.binary(op, o, A, B, 1, 0);
      else if (A.length === 1 && B.length === n) nat.binary(op, o, A, B, 2, 0);
      else if (A.length === n && trailing(pb)) nat.binary(op, o, A, B, 3, B.length);
      else if (B.length === n && trailing(pa)) nat.binary(op, o, A, B, 4, A.length);
      else if (A.length === n && leading(pb)) nat.binary(op, o, A, B, 5, n / B.length);
      else {
        const strides = (p: number[]): number[] => {
          const s = new Array<number>(r).fill(0);
          let acc = 1;
          for (let d = r - 1; d >= 0; d--) {
            s[d] = p[d] === 1 ? 0 : acc;
            acc *= p[d]!;
          }
          return s;
        };
        nat.binary(op, o, A, B, 6, 0, os, strides(pa), strides(pb));
      }
      return out(be, os, o);
    };

  const unary =
    (op: number) =>
    (args: KernelArgs, be: CpuBackend): TensorInfo | null => {
      const x = args.inputs.x;
      const X = f32(be, x);
      if (!X || !x) return null;
      const o = alloc(X.length);
      nat.unary(op, o, X, Number(args.attrs?.alpha ?? 0));
      return out(be, x.shape, o);
    };

  const reduce =
    (op: number, axisAttr: string) =>
    (args: KernelArgs, be: CpuBackend): TensorInfo | null => {
      const x = args.inputs.x;
      const X = f32(be, x);
      if (!X || !x || X.length === 0) return null;
      const axes = tf.util
        .parseAxisParam(args.attrs?.[axisAttr] as number[], x.shape)
        .slice()
        .sort((p, q) => p - q);
      for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1]! + 1) return null;
      const a0 = axes.length ? axes[0]! : x.shape.length,
        a1 = axes.length ? axes[axes.length - 1]! + 1 : x.shape.length;
      const outer = size(x.shape.slice(0, a0)),
        R = size(x.shape.slice(a0, a1)),
        inner = size(x.shape.slice(a1));
      const keep = Boolean(args.attrs?.keepDims);
      const shape = keep
        ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
        : x.shape.filter((_, i) => !axes.includes(i));
      const o = alloc(outer * inner);
      nat.reduce(op, o, X, outer, R, inner);
      return out(be, shape, o);
    };

  const pool =
    (isMax: boolean) =>
    (args: KernelArgs, be: CpuBackend): TensorInfo | null => {
      const x = args.inputs.x;
      const X = f32(be, x);
      const at = args.attrs ?? {};
      if (!X || !x || x.shape.length !== 4) return null;
      const ci = tf.backend_util.computePool2DInfo(
        x.shape as [number, number, number, number],
        at.filterSize as [number, number],
        at.strides as [number, number],
        1,
        at.pad as 'same',
        at.dimRoundingMode as 'floor',
      );
      const o = alloc(size(ci.outShape));
      if (o.length === 0) return null;
      (isMax ? nat.maxPool : nat.avgPool)(o, X, poolParams(ci));
      return out(be, ci.outShape, o);
    };

  const poolGrad =
    (isMax: boolean) =>
    (args: KernelArgs, be: CpuBackend): TensorInfo | null => {
      const { dy, input, output } = args.inputs;
      const DY = f32(be, dy),
        X = f32(be, input),
        Y = isMax ? f32(be, output) : null;
      const at = args.attrs ?? {};
      if (!DY || !X || !input || input.shape.length !== 4) return null;
      const ci = tf.backend_util.computePool2DInfo(
        input.shape as [number, number, number, number],
        at.filterSize as [number, number],
        at.strides as [number, number],
        1,
        at.pad as 'same',
        at.dimRoundingMode as 'floor',
      );
      if (DY.length !== size(ci.outShape)) return null;
      const dx = alloc(X.length);
      if (isMax) nat.maxPoolGrad(dx, DY, X, poolParams(ci), Y?.length === DY.length ? Y : null);
      else nat.avgPoolGrad(dx, DY, poolParams(ci));
      return out(be, input.shape, dx);
    };

  const impls: Record<string, Impl> = {
    BatchMatMul: (a, be) => matmul(a, be, false),
    _FusedMatMul: (a, be) => matmul(a, be, true),
    Conv2D: (a, be) => conv(a, be, false),
    FusedConv2D: (a, be) => conv(a, be, true),
    Conv2DBackpropInput: (args, be) => {
      const { dy, filter } = args.inputs;
      const DY = f32(be, dy),
        W = f32(be, filter);
      const at = args.attrs ?? {};
      if (!DY || !W || !filter || !dataFormatOk(at.dataFormat)) return null;
      const inShape = at.inputShape as [number, number, number, number];
      const ci = tf.backend_util.computeConv2DInfo(
        inShape,
        filter.shape as [number, number, number, number],
        at.strides as [number, number],
        1,
        at.pad as 'same',
        at.dimRoundingMode as 'floor',
        false,
        'channelsLast',
      );
      const dx = alloc(size(inShape));
      if (dx.length === 0 || DY.length !== size(ci.outShape)) return null;
      nat.convBwdData(dx, DY, W, convParams(ci));
      return out(be, inShape, dx);
    },
    Conv2DBackpropFilter: (args, be) => {
      const { x, dy } = args.inputs;
      const X = f32(be, x),
        DY = f32(be, dy);
      const at = args.attrs ?? {};
      if (!X || !DY || !x || !dataFormatOk(at.dataFormat)) return null;
      const fs = at.filterShape as [number, number, number, number];
      const ci = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        fs,
        at.strides as [number, number],
        1,
        at.pad as 'same',
        at.dimRoundingMode as 'floor',
        false,
        'channelsLast',
      );
      const dw = alloc(size(fs));
      if (dw.length === 0 || DY.length !== size(ci.outShape)) return null;
      nat.convBwdWeights(dw, X, DY, convParams(ci));
      return out(be, fs, dw);
    },
    MaxPool: pool(true),
    AvgPool: pool(false),
    MaxPoolGrad: poolGrad(true),
    AvgPoolGrad: poolGrad(false),
    FusedBatchNorm: (args, be) => {
      const { x, mean, variance, offset, scale } = args.inputs;
      const X = f32(be, x),
        M = f32(be, mean),
        V = f32(be, variance);
      if (!X || !M || !V || !x || x.shape.length < 1) return null;
      const O = offset ? f32(be, offset) : null,
        S = scale ? f32(be, scale) : null;
      if ((offset && !O) || (scale && !S)) return null;
      const C = x.shape[x.shape.length - 1]!;
      const okLen = (t: Float32Array | null): boolean => t === null || t.length === 1 || t.length === C;
      if (!okLen(M) || !okLen(V) || !okLen(O) || !okLen(S) || C === 0) return null;
      const o = alloc(X.length);
      nat.batchNorm(o, X, M, V, O, S, C, Number(args.attrs?.varianceEpsilon ?? 0.001));
      return out(be, x.shape, o);
    },
    Softmax: (args, be) => {
      const x = args.inputs.logits;
      const X = f32(be, x);
      if (!X || !x) return null;
      const dim = Number(args.attrs?.dim ?? -1);
      const r = x.shape.length;
      if (dim !== -1 && dim !== r - 1) return null;
      const D = x.shape[r - 1]!;
      if (D === 0) return null;
      const o = alloc(X.length);
      nat.softmax(o, X, D, false);
      return out(be, x.shape, o);
    },
    Sum: reduce(RED.Sum, 'axis'),
    Mean: reduce(RED.Mean, 'axis'),
    Max: reduce(RED.Max, 'reductionIndices'),
    Min: reduce(RED.Min, 'axis'),
  };
  impls[BN_TRAIN] = (args, be) => {
    const { x, gamma, beta, residual } = args.inputs;
    const X = f32(be, x),
      G = gamma ? f32(be, gamma) : null,
      B = beta ? f32(be, beta) : null,
      R = residual ? f32(be, residual) : null;
    if (!X || !x || (gamma && !G) || (beta && !B) || (residual && (!R || R.length !== X.length))) return null;
    const C = x.shape[x.shape.length - 1]!;
    if (!C || (G && G.length !== C) || (B && B.length !== C)) return null;
    const y = alloc(X.length),
      m = new Float32Array(C),
      v = new Float32Array(C);
    nat.bnTrain(y, m, v, X, G, B, C, Number(args.attrs?.eps ?? 1e-5), R, Boolean(args.attrs?.relu));
    return [out(be, x.shape, y), out(be, [C], m), out(be, [C], v)] as unknown as TensorInfo;
  };
  impls[BN_TRAIN_GRAD] = (args, be) => {
    const { dy, x, gamma, mean, variance, y } = args.inputs;
    const DY = f32(be, dy),
      X = f32(be, x),
      G = gamma ? f32(be, gamma) : null,
      M = f32(be, mean),
      V = f32(be, variance),
      Y = y ? f32(be, y) : null;
    if (!DY || !X || !x || !M || !V || (gamma && !G) || (y && (!Y || Y.length !== X.length))) return null;
    const C = x.shape[x.shape.length - 1]!;
    const withRes = Boolean(args.attrs?.residual);
    const dx = alloc(X.length),
      dg = new Float32Array(C),
      db = new Float32Array(C),
      dr = withRes ? alloc(X.length) : null;
    nat.bnTrainGrad(dx, dg, db, DY, X, M, V, G, C, Number(args.attrs?.eps ?? 1e-5), Y, dr);
    const outs = [out(be, x.shape, dx), out(be, [C], dg), out(be, [C], db)];
    if (dr) outs.push(out(be, x.shape, dr));
    return outs as unknown as TensorInfo;
  };
  for (const [name, op] of Object.entries(BIN)) impls[name] = binary(op);
  for (const [name, op] of Object.entries(UN)) impls[name] = unary(op);
  return impls;
}

const RELU_GRAD = 'SprigReluGrad';
const FBN_GRAD = 'SprigFusedBatchNormGrad';
const originalGrads = new Map<string, tf.GradConfig>();

/** The original (JS) gradient config for a kernel, before native gradients replaced it. */
export function jsGradient(name: string): tf.GradConfig | undefined {
  return originalGrads.get(name) ?? tf.getGradient(name);
}

/**
 * Gradients that TF.js builds from many full-size ops, replaced by one native kernel each:
 * Relu (mul(dy, step(x)) → one pass) and FusedBatchNorm (whose JS gradient tiles 1/σ to the
 * whole input).
 */
function registerNativeGradients(nat: NativeAddon): string[] {
  const isF32 = (...ts: (tf.Tensor | undefined)[]): boolean => ts.every((t) => !t || t.dtype === 'float32');
  tf.registerKernel({
    kernelName: RELU_GRAD,
    backendName: 'cpu',
    kernelFunc: (args) => {
      const be = args.backend as unknown as CpuBackend;
      const { dy, x } = args.inputs as { dy: TensorInfo; x: TensorInfo };
      const dx = alloc(size(x.shape));
      nat.reluGrad(dx, f32(be, dy)!, f32(be, x)!);
      return out(be, x.shape, dx);
    },
  });
  tf.registerKernel({
    kernelName: FBN_GRAD,
    backendName: 'cpu',
    kernelFunc: (args) => {
      const be = args.backend as unknown as CpuBackend;
      const { dy, x, mean, variance, scale } = args.inputs as Record<string, TensorInfo>;
      const C = x!.shape[x!.shape.length - 1]!;
      const g = [new Float32Array(C), new Float32Array(C), new Float32Array(C), new Float32Array(C)] as const;
      nat.fusedBatchNormGrad(
        null,
        g[0],
        g[1],
        g[2],
        g[3],
        f32(be, dy)!,
        f32(be, x)!,
        f32(be, mean)!,
        f32(be, variance)!,
        scale ? f32(be, scale) : null,
        C,
        Number(args.attrs?.varianceEpsilon ?? 0.001),
      );
      return g.map((a) => out(be, mean!.shape, a));
    },
  });
  const relu = tf.getGradient('Relu');
  const fbn = tf.getGradient('FusedBatchNorm');
  const done: string[] = [];
  if (relu) {
    originalGrads.set('Relu', relu);
    tf.registerGradient({
      ...relu,
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved as tf.Tensor[];
        const d = dy as tf.Tensor;
        if (!x || !isF32(x, d) || x.size !== d.size) return relu.gradFunc(dy, saved, attrs);
        return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: d, x }) as tf.Tensor };
      },
    });
    done.push(`${RELU_GRAD} (Relu gradient)`);
  }
  if (fbn) {
    originalGrads.set('FusedBatchNorm', fbn);
    tf.registerGradient({
      ...fbn,
      gradFunc: (dy, saved, attrs) => {
        const [x, mean, variance, scale] = saved as tf.Tensor[];
        const d = dy as tf.Tensor;
        const C = x ? x.shape[x.rank - 1]! : 0;
        const ok =
          x &&
          mean &&
          variance &&
          isF32(x, d, mean, variance, scale) &&
          x.rank === 4 &&
          mean.rank === 1 &&
          mean.size === C &&
          variance.size === C &&
          (!scale || scale.size === C) &&
          d.size === x.size;
        if (!ok) return fbn.gradFunc(dy, saved, attrs);
        // Each gradient thunk runs in its own tidy, so the per-channel sums (one pass over x and dy)
        // are kept as values and rebuilt as small tensors; dx = dy·γ/√(σ²+ε) is batch norm of dy.
        let sums: Float32Array[] | undefined;
        const get = (i: number) => (): tf.Tensor => {
          if (!sums) {
            const r = tf
              .engine()
              .runKernel(
                FBN_GRAD,
                scale ? { dy: d, x, mean, variance, scale } : { dy: d, x, mean, variance },
                attrs as unknown as tf.NamedAttrMap,
              ) as tf.Tensor[];
            sums = r.map((t) => (t.dataSync() as Float32Array).slice());
            r.forEach((t) => t.dispose());
          }
          return tf.tensor(sums[i]!, mean.shape, 'float32');
        };
        const dx = (): tf.Tensor => {
          const zero = tf.zeros(mean.shape);
          return tf
            .engine()
            .runKernel(
              'FusedBatchNorm',
              scale ? { x: d, mean: zero, variance, scale } : { x: d, mean: zero, variance },
              attrs as unknown as tf.NamedAttrMap,
            ) as tf.Tensor;
        };
        return { x: dx, mean: get(0), variance: get(1), scale: get(2), offset: get(3) };
      },
    });
    done.push(`${FBN_GRAD} (FusedBatchNorm gradient)`);
  }
  return done;
}

/** Registers every native kernel over the CPU backend's JS one; returns their names. */
export function registerNativeKernels(nat: NativeAddon): string[] {
  const names: string[] = [];
  for (const [name, impl] of Object.entries(makeImpls(nat))) {
    const orig = originals.get(name) ?? tf.getKernel(name, 'cpu')?.kernelFunc;
    const cfg = tf.getKernel(name, 'cpu');
    if (!orig || !cfg) continue;
    originals.set(name, orig);
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel({
      ...cfg,
      kernelName: name,
      backendName: 'cpu',
      kernelFunc: (args) => {
        let r: TensorInfo | null = null;
        try {
          r = impl(args as unknown as KernelArgs, args.backend as unknown as CpuBackend);
        } catch (e) {
          // any native failure: the JS kernel gives the answer (and the error, if the input is bad)
          nativeCounts.errors.set(name, (e as Error).message);
          r = null;
        }
        if (r) {
          bump(nativeCounts.native, name);
          return r;
        }
        bump(nativeCounts.fallback, name);
        return orig(args);
      },
    });
    names.push(name);
  }
  return [...names, ...registerNativeGradients(nat), ...registerLayerKernels(nat)];
}

/** Binary (with broadcasting) and unary element-wise kernels on the addon (native/src/elementwise.cc). */
import * as tf from '@tensorflow/tfjs-core';
import type { BinaryOptions, NativeAddon } from '../addon.js';
import type { CpuBackend, KernelArgs } from '../cpu-backend.js';
import { BINARY_OPS, UNARY_OPS } from '../names.js';
import { alloc } from '../../pool.js';
import { f32, out, size, type Impl, type ImplTable } from './util.js';

/** `shape` left-padded with 1s to rank r. */
const padTo = (shape: number[], r: number): number[] => [
  ...new Array<number>(r - shape.length).fill(1),
  ...shape,
];

/** p equals the output shape on its trailing axes after its leading 1s (a repeating block). */
function isTrailing(p: number[], outShape: number[]): boolean {
  let k = 0;
  while (k < p.length && p[k] === 1) k++;
  for (let d = k; d < p.length; d++) if (p[d] !== outShape[d]) return false;
  return true;
}

/** p equals the output shape on its leading axes, 1 on the trailing ones (one value per row). */
function isLeading(p: number[], outShape: number[]): boolean {
  let k = p.length;
  while (k > 0 && p[k - 1] === 1) k--;
  for (let d = 0; d < k; d++) if (p[d] !== outShape[d]) return false;
  return true;
}

/** Row-major strides of p over the output, 0 on its broadcast (size-1) axes. */
function broadcastStrides(p: number[]): number[] {
  const s = new Array<number>(p.length).fill(0);
  let acc = 1;
  for (let d = p.length - 1; d >= 0; d--) {
    s[d] = p[d] === 1 ? 0 : acc;
    acc *= p[d]!;
  }
  return s;
}

/** The addon's broadcast mode for operands of lengths la, lb (padded shapes pa, pb) into outShape. */
function broadcastMode(op: number, la: number, lb: number, pa: number[], pb: number[], outShape: number[]) {
  const n = size(outShape);
  const opts = (mode: number, bn = 0): BinaryOptions => ({ op, mode, bn });
  if (la === n && lb === n) return opts(0);
  if (lb === 1 && la === n) return opts(1);
  if (la === 1 && lb === n) return opts(2);
  if (la === n && isTrailing(pb, outShape)) return opts(3, lb);
  if (lb === n && isTrailing(pa, outShape)) return opts(4, la);
  if (la === n && isLeading(pb, outShape)) return opts(5, n / lb);
  return { op, mode: 6, shape: outShape, stridesA: broadcastStrides(pa), stridesB: broadcastStrides(pb) };
}

const binary =
  (nat: NativeAddon, op: number): Impl =>
  (args: KernelArgs, be: CpuBackend) => {
    const { a, b } = args.inputs;
    const A = f32(be, a),
      B = f32(be, b);
    if (!A || !B || !a || !b) return null;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const n = size(outShape);
    if (n === 0) return null;
    const r = outShape.length;
    const o = alloc(n);
    nat.binary(
      o,
      A,
      B,
      broadcastMode(op, A.length, B.length, padTo(a.shape, r), padTo(b.shape, r), outShape),
    );
    return out(be, outShape, o);
  };

const unary =
  (nat: NativeAddon, op: number): Impl =>
  (args: KernelArgs, be: CpuBackend) => {
    const x = args.inputs.x;
    const X = f32(be, x);
    if (!X || !x) return null;
    const o = alloc(X.length);
    nat.unary(o, X, { op, alpha: Number(args.attrs?.alpha ?? 0) });
    return out(be, x.shape, o);
  };

export const elementwiseImpls: ImplTable = (nat) => {
  const impls: Record<string, Impl> = {};
  for (const [name, op] of Object.entries(BINARY_OPS)) impls[name] = binary(nat, op);
  for (const [name, op] of Object.entries(UNARY_OPS)) impls[name] = unary(nat, op);
  return impls;
};

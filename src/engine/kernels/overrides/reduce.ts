/** Sum, Mean, Max and Min over contiguous axes on the addon (native/src/reduce.cc). */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import type { CpuBackend, KernelArgs } from '../cpu-backend.js';
import { REDUCE_OPS } from '../names.js';
import { alloc } from '../../pool.js';
import { f32, out, size, type Impl, type ImplTable } from './util.js';

/** The reduced axes, sorted; null unless they are contiguous (the addon reduces [outer, r, inner]). */
function contiguousAxes(attr: unknown, shape: number[]): number[] | null {
  const axes = tf.util
    .parseAxisParam(attr as number[], shape)
    .slice()
    .sort((p, q) => p - q);
  for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1]! + 1) return null;
  return axes;
}

const reduce =
  (nat: NativeAddon, op: number, axisAttr: string): Impl =>
  (args: KernelArgs, be: CpuBackend) => {
    const x = args.inputs.x;
    const X = f32(be, x);
    if (!X || !x || X.length === 0) return null;
    const axes = contiguousAxes(args.attrs?.[axisAttr], x.shape);
    if (!axes) return null;
    const a0 = axes.length ? axes[0]! : x.shape.length,
      a1 = axes.length ? axes[axes.length - 1]! + 1 : x.shape.length;
    const outer = size(x.shape.slice(0, a0)),
      r = size(x.shape.slice(a0, a1)),
      inner = size(x.shape.slice(a1));
    const shape = args.attrs?.keepDims
      ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !axes.includes(i));
    const o = alloc(outer * inner);
    nat.reduce(o, X, { op, outer, r, inner });
    return out(be, shape, o);
  };

export const reduceImpls: ImplTable = (nat) => ({
  [tf.Sum]: reduce(nat, REDUCE_OPS.Sum, 'axis'),
  [tf.Mean]: reduce(nat, REDUCE_OPS.Mean, 'axis'),
  [tf.Max]: reduce(nat, REDUCE_OPS.Max, 'reductionIndices'),
  [tf.Min]: reduce(nat, REDUCE_OPS.Min, 'axis'),
});

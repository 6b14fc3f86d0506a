/** BatchMatMul and _FusedMatMul on the addon's products (native/src/gemm.cc). */
import * as tf from '@tensorflow/tfjs-core';
import type { Activation, NativeAddon } from '../addon.js';
import type { CpuBackend, KernelArgs } from '../cpu-backend.js';
import { alloc } from '../../pool.js';
import { f32, fusedEpilogue, out, size, type ImplTable } from './util.js';

/** The product's m, k, n from the operands' last two axes and the transposes; null when k differs. */
function productDims(
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transA: boolean,
  transB: boolean,
): { m: number; k: number; n: number } | null {
  const ra = a.shape.length,
    rb = b.shape.length;
  const m = transA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = transB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  return (transB ? b.shape[rb - 1] : b.shape[rb - 2]) === k ? { m, k, n } : null;
}

/**
 * The output's batch axes when the operands' batches are equal or one of them is a single matrix
 * (broadcast); null for any other broadcast.
 */
function batchAxes(outerA: number[], outerB: number[]): number[] | null {
  const bA = size(outerA),
    bB = size(outerB);
  if (bA === bB && outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i])) return outerA;
  const widen = (big: number[], small: number[]): number[] =>
    big.length >= small.length ? big : [...small.slice(0, small.length - big.length), ...big];
  if (bB === 1) return widen(outerA, outerB);
  if (bA === 1) return widen(outerB, outerA);
  return null;
}

function matmul(nat: NativeAddon, args: KernelArgs, be: CpuBackend, fused: boolean): tf.TensorInfo | null {
  const { a, b } = args.inputs;
  const A = f32(be, a),
    B = f32(be, b);
  if (!A || !B || !a || !b || a.shape.length < 2 || b.shape.length < 2) return null;
  const transA = Boolean(args.attrs?.transposeA),
    transB = Boolean(args.attrs?.transposeB);
  const dims = productDims(a, b, transA, transB);
  if (!dims) return null;
  let bias: Float32Array | null = null;
  let activation: Activation = { act: 0, alpha: 0 };
  if (fused) {
    const e = fusedEpilogue(args, be, dims.n, true);
    if (!e) return null;
    ({ bias, activation } = e);
  }
  const outerA = a.shape.slice(0, -2),
    outerB = b.shape.slice(0, -2);
  const outer = batchAxes(outerA, outerB);
  if (!outer) return null;
  const batchA = size(outerA),
    batchB = size(outerB);
  const C = alloc(Math.max(batchA, batchB) * dims.m * dims.n);
  nat.matmul(C, A, B, bias, { ...dims, batchA, batchB, transA, transB, ...activation, impl: 0 });
  return out(be, [...outer, dims.m, dims.n], C);
}

export const matmulImpls: ImplTable = (nat) => ({
  [tf.BatchMatMul]: (args, be) => matmul(nat, args, be, false),
  [tf._FusedMatMul]: (args, be) => matmul(nat, args, be, true),
});

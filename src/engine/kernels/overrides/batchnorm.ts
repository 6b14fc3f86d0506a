/**
 * Batch norm on the addon (native/src/normalisation.cc): TF.js's FusedBatchNorm (the inference form)
 * and sprig's training form with batch statistics and its gradient (batchnorm.ts holds the JS ones).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import type { CpuBackend, KernelArgs } from '../cpu-backend.js';
import { SPRIG_KERNELS } from '../names.js';
import { alloc } from '../../pool.js';
import { f32, optionalF32, out, outs, type ImplTable } from './util.js';

/** y = (x − mean)/√(variance + ε)·scale + offset, each parameter of 1 or C entries. */
function fusedBatchNorm(nat: NativeAddon, args: KernelArgs, be: CpuBackend): tf.TensorInfo | null {
  const { x, mean, variance, offset, scale } = args.inputs;
  const X = f32(be, x),
    M = f32(be, mean),
    V = f32(be, variance);
  if (!X || !M || !V || !x || x.shape.length < 1) return null;
  const O = optionalF32(be, offset),
    S = optionalF32(be, scale);
  if (O === null || S === null) return null;
  const C = x.shape[x.shape.length - 1]!;
  const okLen = (t: Float32Array | undefined): boolean => t === undefined || t.length === 1 || t.length === C;
  if (!okLen(M) || !okLen(V) || !okLen(O) || !okLen(S) || C === 0) return null;
  const o = alloc(X.length);
  const eps = Number(args.attrs?.varianceEpsilon ?? 0.001);
  nat.batchNorm(o, X, M, V, O ?? null, S ?? null, { channels: C, eps });
  return out(be, x.shape, o);
}

/** [y, batch mean, batch variance], with the optional fused residual add and ReLU. */
function batchNormTrain(nat: NativeAddon, args: KernelArgs, be: CpuBackend): tf.TensorInfo | null {
  const { x, gamma, beta, residual } = args.inputs;
  const X = f32(be, x),
    G = optionalF32(be, gamma),
    B = optionalF32(be, beta),
    R = optionalF32(be, residual);
  if (!X || !x || G === null || B === null || R === null || (R && R.length !== X.length)) return null;
  const C = x.shape[x.shape.length - 1]!;
  if (!C || (G && G.length !== C) || (B && B.length !== C)) return null;
  const y = alloc(X.length),
    m = new Float32Array(C),
    v = new Float32Array(C);
  const eps = Number(args.attrs?.eps ?? 1e-5);
  nat.bnTrain(y, m, v, X, G ?? null, B ?? null, R ?? null, {
    channels: C,
    eps,
    relu: Boolean(args.attrs?.relu),
  });
  return outs([out(be, x.shape, y), out(be, [C], m), out(be, [C], v)]);
}

/** [dx, dγ, dβ] and, for a fused residual, its gradient (the ReLU-masked dy). */
function batchNormTrainGrad(nat: NativeAddon, args: KernelArgs, be: CpuBackend): tf.TensorInfo | null {
  const { dy, x, gamma, mean, variance, y } = args.inputs;
  const DY = f32(be, dy),
    X = f32(be, x),
    G = optionalF32(be, gamma),
    M = f32(be, mean),
    V = f32(be, variance),
    Y = optionalF32(be, y);
  if (!DY || !X || !x || !M || !V || G === null || Y === null || (Y && Y.length !== X.length)) return null;
  const C = x.shape[x.shape.length - 1]!;
  const dx = alloc(X.length),
    dg = new Float32Array(C),
    db = new Float32Array(C),
    dr = args.attrs?.residual ? alloc(X.length) : null;
  const eps = Number(args.attrs?.eps ?? 1e-5);
  nat.bnTrainGrad(dx, dg, db, DY, X, M, V, G ?? null, Y ?? null, dr, { channels: C, eps });
  const grads = [out(be, x.shape, dx), out(be, [C], dg), out(be, [C], db)];
  if (dr) grads.push(out(be, x.shape, dr));
  return outs(grads);
}

export const batchNormImpls: ImplTable = (nat) => ({
  [tf.FusedBatchNorm]: (args, be) => fusedBatchNorm(nat, args, be),
  [SPRIG_KERNELS.batchNormTrain]: (args, be) => batchNormTrain(nat, args, be),
  [SPRIG_KERNELS.batchNormTrainGrad]: (args, be) => batchNormTrainGrad(nat, args, be),
});

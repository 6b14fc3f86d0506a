/** MaxPool, AvgPool and their gradients on the addon (native/src/pooling.cc). */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import type { CpuBackend, KernelArgs } from '../cpu-backend.js';
import { poolGeometry, poolInfo } from '../geometry.js';
import { alloc } from '../../pool.js';
import { f32, out, size, type Impl, type ImplTable } from './util.js';

const pool =
  (nat: NativeAddon, isMax: boolean): Impl =>
  (args: KernelArgs, be: CpuBackend) => {
    const x = args.inputs.x;
    const X = f32(be, x);
    if (!X || !x || x.shape.length !== 4) return null;
    const ci = poolInfo(x.shape, args.attrs ?? {});
    const o = alloc(size(ci.outShape));
    if (o.length === 0) return null;
    (isMax ? nat.maxPool : nat.avgPool)(o, X, poolGeometry(ci));
    return out(be, ci.outShape, o);
  };

const poolGrad =
  (nat: NativeAddon, isMax: boolean): Impl =>
  (args: KernelArgs, be: CpuBackend) => {
    const { dy, input, output } = args.inputs;
    const DY = f32(be, dy),
      X = f32(be, input),
      Y = isMax ? f32(be, output) : null;
    if (!DY || !X || !input || input.shape.length !== 4) return null;
    const ci = poolInfo(input.shape, args.attrs ?? {});
    if (DY.length !== size(ci.outShape)) return null;
    const dx = alloc(X.length);
    const geometry = poolGeometry(ci);
    if (isMax) nat.maxPoolGrad(dx, DY, X, Y?.length === DY.length ? Y : null, geometry);
    else nat.avgPoolGrad(dx, DY, geometry);
    return out(be, input.shape, dx);
  };

export const poolImpls: ImplTable = (nat) => ({
  [tf.MaxPool]: pool(nat, true),
  [tf.AvgPool]: pool(nat, false),
  [tf.MaxPoolGrad]: poolGrad(nat, true),
  [tf.AvgPoolGrad]: poolGrad(nat, false),
});

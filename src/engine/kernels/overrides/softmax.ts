/** Softmax over the last axis on the addon (native/src/softmax.cc). */
import * as tf from '@tensorflow/tfjs-core';
import type { CpuBackend, KernelArgs } from '../cpu-backend.js';
import { alloc } from '../../pool.js';
import { f32, out, type ImplTable } from './util.js';

export const softmaxImpls: ImplTable = (nat) => ({
  [tf.Softmax]: (args: KernelArgs, be: CpuBackend) => {
    const x = args.inputs.logits;
    const X = f32(be, x);
    if (!X || !x) return null;
    const dim = Number(args.attrs?.dim ?? -1);
    const r = x.shape.length;
    if (dim !== -1 && dim !== r - 1) return null;
    const depth = x.shape[r - 1]!;
    if (depth === 0) return null;
    const o = alloc(X.length);
    nat.softmax(o, X, { depth, log: false });
    return out(be, x.shape, o);
  },
});

/**
 * The native kernels behind two replaced TF.js gradients (gradients.ts): the Relu gradient in one pass,
 * and FusedBatchNorm's per-channel gradient sums in one pass over x and dy. Native only: their
 * gradients are registered only with the addon.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import type { CpuBackend } from '../cpu-backend.js';
import { SPRIG_KERNELS } from '../names.js';
import { alloc } from '../../pool.js';
import { f32, out, size } from './util.js';

/** dx = dy·step(x), as TF.js's mul(dy, step(x)). */
export function reluGradKernel(nat: NativeAddon): tf.KernelConfig {
  return {
    kernelName: SPRIG_KERNELS.reluGrad,
    backendName: 'cpu',
    kernelFunc: (args) => {
      const be = args.backend as unknown as CpuBackend;
      const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
      const dx = alloc(size(x.shape));
      nat.reluGrad(dx, f32(be, dy)!, f32(be, x)!);
      return out(be, x.shape, dx);
    },
  };
}

/** [dmean, dvariance, dscale, doffset] of FusedBatchNorm, each per channel. */
export function fusedBatchNormGradKernel(nat: NativeAddon): tf.KernelConfig {
  return {
    kernelName: SPRIG_KERNELS.fusedBatchNormGrad,
    backendName: 'cpu',
    kernelFunc: (args) => {
      const be = args.backend as unknown as CpuBackend;
      const { dy, x, mean, variance, scale } = args.inputs as Record<string, tf.TensorInfo>;
      const C = x!.shape[x!.shape.length - 1]!;
      const g = [new Float32Array(C), new Float32Array(C), new Float32Array(C), new Float32Array(C)] as const;
      const eps = Number(args.attrs?.varianceEpsilon ?? 0.001);
      const [DY, X, M, V] = [dy, x, mean, variance].map((t) => f32(be, t)!) as [
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
      ];
      nat.fusedBatchNormGrad(null, ...g, DY, X, M, V, scale ? f32(be, scale) : null, { channels: C, eps });
      return g.map((a) => out(be, mean!.shape, a));
    },
  };
}

/**
 * Everything sprig registers on TF.js's CPU backend, as explicit lists (tfjs's register_all_kernels
 * is the model). No module registers anything when imported: the engine (native.ts) calls
 * registerJsKernels() once, then registerNativeKernels() when the addon loads.
 *
 * A native implementation of a TF.js kernel returns null for any case it does not cover, and its
 * kernel then runs the original JS kernel, kept in `originals` so tests can compare the two.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { bnTrainGradJs, bnTrainJs } from './batchnorm.js';
import type { CpuBackend, KernelArgs } from './cpu-backend.js';
import { GRADIENTS } from './gradients.js';
import { convKernel, denseKernel } from './layers.js';
import { softmaxCrossEntropyJs } from './loss.js';
import { SPRIG_KERNELS } from './names.js';
import { batchNormImpls } from './overrides/batchnorm.js';
import { convImpls } from './overrides/conv.js';
import { elementwiseImpls } from './overrides/elementwise.js';
import { fusedBatchNormGradKernel, reluGradKernel } from './overrides/gradient-kernels.js';
import { matmulImpls } from './overrides/matmul.js';
import { poolImpls } from './overrides/pool.js';
import { reduceImpls } from './overrides/reduce.js';
import { softmaxImpls } from './overrides/softmax.js';
import type { Impl, ImplTable } from './overrides/util.js';
import { sparseDenseKernel } from './sparse.js';
import { sparseConvKernel } from './sparse-conv.js';

/**
 * sprig's kernels registered whether or not the addon loads: JS ones, and the sparse layers, which
 * run the addon's sparse kernels when it has them and their JS ones otherwise (sparse-addon.ts).
 */
const JS_KERNELS: [string, tf.KernelFunc][] = [
  [SPRIG_KERNELS.batchNormTrain, bnTrainJs as unknown as tf.KernelFunc],
  [SPRIG_KERNELS.batchNormTrainGrad, bnTrainGradJs as unknown as tf.KernelFunc],
  [SPRIG_KERNELS.softmaxCrossEntropy, softmaxCrossEntropyJs],
  [SPRIG_KERNELS.sparseDense, sparseDenseKernel as tf.KernelFunc],
  [SPRIG_KERNELS.sparseConv2D, sparseConvKernel as tf.KernelFunc],
];

/** Native implementations over JS kernels (TF.js's and sprig's above), by family. */
const NATIVE_OVERRIDES: ImplTable[] = [
  matmulImpls,
  convImpls,
  poolImpls,
  batchNormImpls,
  softmaxImpls,
  reduceImpls,
  elementwiseImpls,
];

/** Kernels that exist only with the addon (their callers fall back to TF.js ops without it). */
const NATIVE_KERNELS: { make: (nat: NativeAddon) => tf.KernelConfig; label: string }[] = [
  { make: reluGradKernel, label: `${SPRIG_KERNELS.reluGrad} (Relu gradient)` },
  { make: fusedBatchNormGradKernel, label: `${SPRIG_KERNELS.fusedBatchNormGrad} (FusedBatchNorm gradient)` },
  { make: denseKernel, label: `${SPRIG_KERNELS.dense} (dense layer + gradients)` },
  { make: convKernel, label: `${SPRIG_KERNELS.conv2D} (conv layer + gradients)` },
];

const originals = new Map<string, tf.KernelFunc>();
const originalGrads = new Map<string, tf.GradConfig>();

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

/** The original (JS) gradient config for a kernel, before native gradients replaced it. */
export function jsGradient(name: string): tf.GradConfig | undefined {
  return originalGrads.get(name) ?? tf.getGradient(name);
}

/** Registers sprig's JS kernels and gradients (once; a second call finds them registered). */
export function registerJsKernels(): void {
  for (const [kernelName, kernelFunc] of JS_KERNELS) {
    if (!tf.getKernel(kernelName, 'cpu')) tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc });
  }
  for (const entry of GRADIENTS) {
    if (entry.engine !== 'js' || tf.getGradient(entry.kernelName)) continue;
    tf.registerGradient(entry.make());
  }
}

/** `impl` in front of the registered kernel `name`: the JS kernel runs when it returns null or throws. */
function override(name: string, impl: Impl): boolean {
  const orig = originals.get(name) ?? tf.getKernel(name, 'cpu')?.kernelFunc;
  const cfg = tf.getKernel(name, 'cpu');
  if (!orig || !cfg) return false;
  originals.set(name, orig);
  tf.unregisterKernel(name, 'cpu');
  tf.registerKernel({
    ...cfg,
    kernelName: name,
    backendName: 'cpu',
    kernelFunc: (args) => {
      let r: tf.TensorInfo | null = null;
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
  return true;
}

/** Replaces TF.js gradients with native ones and adds the native kernels' gradients. */
function registerNativeGradients(nat: NativeAddon): void {
  for (const entry of GRADIENTS) {
    if (entry.engine !== 'native') continue;
    const js = originalGrads.get(entry.kernelName) ?? tf.getGradient(entry.kernelName);
    const grad = entry.make(nat, js);
    if (!grad) continue;
    if (js) originalGrads.set(entry.kernelName, js);
    tf.registerGradient(grad);
  }
}

/** Registers every native kernel and gradient over the CPU backend's JS ones; returns their names. */
export function registerNativeKernels(nat: NativeAddon): string[] {
  const names: string[] = [];
  for (const family of NATIVE_OVERRIDES) {
    for (const [name, impl] of Object.entries(family(nat))) if (override(name, impl)) names.push(name);
  }
  for (const { make } of NATIVE_KERNELS) tf.registerKernel(make(nat));
  registerNativeGradients(nat);
  return [...names, ...NATIVE_KERNELS.map((k) => k.label)];
}

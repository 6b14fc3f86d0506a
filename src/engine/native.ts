/**
 * Loads the native addon (native/, built by node-gyp against oneDNN/OpenBLAS at install, or by
 * `npm run build:native`) and registers its kernels for the TF.js CPU backend over the JS ones.
 * Without it sprig runs in pure JS and says so once, with why and the fix. `SPRIG_NATIVE=0` turns
 * it off.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  nativeAddon,
  setNativeAddon,
  type AdamOptions,
  type NativeAddon,
  type SgdOptions,
} from './kernels/addon.js';
import { registerJsKernels, registerNativeKernels } from './kernels/register.js';

export interface NativeStatus {
  engine: 'native' | 'js';
  /** Why the native engine is not active, when it is not. */
  reason?: string;
  /** Kernel names registered natively. */
  kernels: string[];
}

let loaded: NativeStatus | undefined;

/** Where node-gyp puts the addon, from src/engine or dist/engine alike (SPRIG_NATIVE_PATH overrides). */
export function addonPath(): string {
  if (process.env.SPRIG_NATIVE_PATH) return process.env.SPRIG_NATIVE_PATH;
  const here = dirname(fileURLToPath(import.meta.url));
  return join(here, '..', '..', 'native', 'build', 'Release', 'sprig_native.node');
}

function load(): NativeStatus {
  const flag = process.env.SPRIG_NATIVE;
  if (flag === '0' || flag === 'false' || flag === 'off') {
    return { engine: 'js', reason: 'native engine disabled by SPRIG_NATIVE=0', kernels: [] };
  }
  const path = addonPath();
  if (!existsSync(path)) return fail(notBuilt(path));
  // With a fixed thread count, a team member that another process descheduled holds up every
  // barrier; libgomp's default 300k-iteration spin then burns the time slice the other thread needs.
  // A short spin yields soon on a busy machine and still catches the team on an idle one. libgomp
  // reads it once, when the addon loads; child processes (PyTorch in the bench) do not inherit it.
  const spin = !process.env.OMP_WAIT_POLICY && !process.env.GOMP_SPINCOUNT;
  if (spin) process.env.GOMP_SPINCOUNT = '10000';
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
    setNativeAddon(addon);
  } catch (e) {
    return fail(`native addon failed to load: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    if (spin) delete process.env.GOMP_SPINCOUNT;
  }
  addon.setThreads(defaultThreads());
  const kernels = registerNativeKernels(addon);
  return { engine: 'native', kernels };
}

/**
 * The thread count is fixed, never adapted to the machine's load: it sets how float sums are split,
 * so a run's bits depend on it. SPRIG_THREADS, else all cores — except under node's test runner,
 * which runs test files side by side (OpenMP teams on an oversubscribed machine stall at barriers).
 */
function defaultThreads(): number {
  const n = Math.floor(Number(process.env.SPRIG_THREADS));
  if (n > 0) return n;
  return process.env.NODE_TEST_CONTEXT ? 1 : availableParallelism();
}

let pinned = 0;

/** Threads the native kernels use now (1 on the JS engine, which is single-threaded). */
export function engineThreads(): number {
  loadNative();
  return nativeAddon() ? pinned || defaultThreads() : 1;
}

/** Fixes the native kernels' thread count (a resumed run takes the count it started with). */
export function pinThreads(n: number): void {
  loadNative();
  const addon = nativeAddon();
  if (!addon || n === engineThreads()) return;
  pinned = n;
  addon.setThreads(n);
}

/**
 * Why the addon is missing, and the fix: what the install's build recorded beside it
 * (scripts/build-native.mjs writes status.json, since npm hides an install script's output), or,
 * without a record, that the build never ran (an install with --ignore-scripts).
 */
function notBuilt(path: string): string {
  let s: { reason?: string; fix?: string } | undefined;
  try {
    s = JSON.parse(readFileSync(join(dirname(dirname(path)), 'status.json'), 'utf8'));
  } catch {
    // no record: the build script never ran here
  }
  if (s?.reason) return `native addon not built at install: ${s.reason}${s.fix ? ` (fix: ${s.fix})` : ''}`;
  // a consumer's copy lives in node_modules and has no `npm run build:native`; a checkout has
  const again = path.split(sep).includes('node_modules')
    ? '`npm rebuild sprig` (after `npm approve-scripts sprig` where npm blocks install scripts)'
    : '`npm run build:native`';
  return `native addon not built: its build never ran (run ${again}; it needs g++, make, python3, libdnnl-dev and libopenblas-dev)`;
}

function fail(reason: string): NativeStatus {
  process.stderr.write(`sprig: running on the pure-JS engine: ${reason}\n`);
  return { engine: 'js', reason, kernels: [] };
}

/**
 * Registers sprig's kernels: the JS ones always, then the addon's when it loads. The first call does
 * it; later calls return its result.
 */
export function loadNative(): NativeStatus {
  if (!loaded) {
    registerJsKernels();
    loaded = load();
  }
  return loaded;
}

export { nativeAddon };

/**
 * In-place SGD step with PyTorch's semantics (dampening 0):
 * d = g + wd·w; m = μ·m + d; d = nesterov ? d + μ·m : m; w -= lr·d; then w ⊙= mask.
 * `m` null means no momentum buffer (plain SGD). Returns false when the native engine is not loaded,
 * so the caller runs its JS path.
 */
export function nativeSgdUpdate(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array | null,
  mask: Float32Array | null,
  options: SgdOptions,
): boolean {
  const addon = nativeAddon();
  if (!addon) return false;
  addon.sgd(w, g, m, mask, options);
  return true;
}

/**
 * In-place Adam step (PyTorch's Adam; AdamW when `decoupled`), bias-corrected with `step` ≥ 1:
 * g += wd·w (or w -= lr·wd·w when decoupled); m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²;
 * w -= lr/(1-β1^t) · m / (√v/√(1-β2^t) + ε); then w ⊙= mask. Returns false without the native engine.
 */
export function nativeAdamUpdate(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  mask: Float32Array | null,
  options: AdamOptions,
): boolean {
  const addon = nativeAddon();
  if (!addon) return false;
  addon.adam(w, g, m, v, mask, options);
  return true;
}

export { jsKernel, jsGradient, nativeCounts } from './kernels/register.js';
export { batchNormTrain } from './kernels/batchnorm.js';
export { denseLayer, convLayer, type LayerActivation } from './kernels/layers.js';
export { softmaxCrossEntropy } from './kernels/loss.js';

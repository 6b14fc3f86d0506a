/**
 * What the runtime's layers share. Activations live in the kernels' memory in one of two layouts,
 * chosen by rank: an image [h, w, c] is stored per example as planes [c][h][w] (NCHW: the conv
 * kernel's lanes run along a row), a vector [f] as [f][batch] (the dense kernel's lanes run over the
 * batch). Shapes are given per example, as in Keras.
 */
import { SparseFormatError } from '../format.js';
import type { Arena, Kernels } from './wasm.js';

export interface RunContext {
  k: Kernels;
  mem: Arena;
  batch: number;
}

export interface Layer {
  /** Output shape of one example: [h, w, c] or [f]. */
  shape: number[];
  /** Floats of scratch memory the layer needs at this batch size (e.g. a padded image). */
  scratch?: (batch: number) => number;
  /** Computes the output at `out` from the inputs at `ins` (byte pointers into the kernels' memory). */
  run(c: RunContext, ins: number[], out: number, scratch: number): void;
  /** A per-channel x·scale + shift (the input step can apply it while it copies the input). */
  affine?: Affine;
  /** A Flatten (the input step can write the input flat at once). */
  flatten?: true;
}

export interface Affine {
  scale: Float32Array;
  shift: Float32Array;
}

export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A model the runtime cannot run: which layer, what, and what to do instead. */
export function unsupported(layer: string, what: string, fix?: string): SparseFormatError {
  return new SparseFormatError(
    `layer ${layer}: ${what} is not supported by sprig's sparse runtime; ${
      fix ??
      'load the model on TF.js instead (layersModelOf(tf, source), or loadSparseModel from sprig/loader)'
    }`,
  );
}

/** A Keras pair (kernel size, strides) as [rows, cols]. */
export function pairOf(v: unknown, fallback: number): [number, number] {
  if (v == null) return [fallback, fallback];
  const a = Array.isArray(v) ? v : [v, v];
  return [Number(a[0]), Number(a[1])];
}

/** Output size and leading padding along one axis, as TF computes them for 'same' and 'valid'. */
export function window(size: number, k: number, stride: number, padding: unknown) {
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + k - size, 0);
    return { out, before: Math.floor(total / 2), total };
  }
  if (padding !== undefined && padding !== 'valid')
    throw new SparseFormatError(`unknown padding '${String(padding)}'`);
  return { out: Math.floor((size - k) / stride) + 1, before: 0, total: 0 };
}

/** One layer of a plan (plan.ts) and where its inputs come from. */
export interface Step {
  layer: Layer;
  /** Indices of the steps whose outputs this one reads; -1 is the user's input as given. */
  ins: number[];
  /** Runs in the memory of its only input (which nothing else reads). */
  inPlace: boolean;
}

/**
 * Raw (uint8) splits as read from disk, and their conversion to the normalised float32 that models see:
 * x/255, then per-channel (x − mean) / std with fixed, published statistics (so tiny test files and
 * subsets normalise exactly like the full dataset).
 */
import type { Normalisation, Split } from './types.js';

/** A split as stored on disk: pixels NHWC uint8, labels. */
export interface RawSplit {
  x: Uint8Array;
  y: Int32Array;
  n: number;
}

export interface RawDataset {
  inputShape: [number, number, number];
  numClasses: number;
  train: RawSplit;
  test: RawSplit;
}

export const FASHION_MNIST_NORMALISATION: Normalisation = { mean: [0.286], std: [0.353] };
export const MNIST_NORMALISATION: Normalisation = { mean: [0.1307], std: [0.3081] };
export const CIFAR10_NORMALISATION: Normalisation = {
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.247, 0.2435, 0.2616],
};
export const CIFAR100_NORMALISATION: Normalisation = {
  mean: [0.5071, 0.4865, 0.4409],
  std: [0.2673, 0.2564, 0.2762],
};

/** Normalised float32 copy of uint8 NHWC pixels: widen with one bulk copy, then scale and shift in place. */
export function normalisePixels(x: Uint8Array, norm: Normalisation): Float32Array {
  const c = norm.mean.length;
  const scale = norm.std.map((s) => 1 / (255 * s));
  const shift = norm.mean.map((m, ch) => -m / norm.std[ch]!);
  const out = new Float32Array(x.length);
  out.set(x);
  if (c === 1) {
    const s = scale[0]!;
    const b = shift[0]!;
    for (let i = 0; i < out.length; i++) out[i] = out[i]! * s + b;
  } else {
    for (let i = 0; i < out.length; i += c) {
      for (let ch = 0; ch < c; ch++) out[i + ch] = out[i + ch]! * scale[ch]! + shift[ch]!;
    }
  }
  return out;
}

/** The value a pixel of 0 (black) takes after normalisation, per channel: the fill for zero padding. */
export function normalisedBlack(norm: Normalisation): number[] {
  return norm.mean.map((m, ch) => -m / norm.std[ch]!);
}

/** A normalised copy of a whole raw split. */
export function normaliseSplit(raw: RawSplit, norm: Normalisation): Split {
  return { x: normalisePixels(raw.x, norm), y: raw.y.slice(), n: raw.n };
}

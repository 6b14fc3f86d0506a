/**
 * CIFAR training augmentation (as in ResNet/LTH recipes): random crop of the image padded by 4 pixels
 * on each side, then a random horizontal flip with probability 1/2. Seeded, so runs are reproducible.
 */
import { Rng } from '../util/rng.js';
import { normalisedBlack } from './normalise.js';
import type { Batch, Dataset } from './types.js';

export interface AugmentOptions {
  /** [h, w, c] of each image. */
  inputShape: [number, number, number];
  /** Padding on each side before the crop; default 4. 0 disables cropping. */
  pad?: number;
  /** Random horizontal flip; default true. */
  flip?: boolean;
  /**
   * Per-channel value of the padding; default 0. Use `augmentOptionsFor(dataset)` to pad with black
   * in normalised units, as torchvision does when it crops before normalising.
   */
  fill?: number[];
}

/** Options for a dataset's images, padding with (normalised) black. */
export function augmentOptionsFor(ds: Dataset): AugmentOptions {
  const fill = ds.normalisation ? normalisedBlack(ds.normalisation) : undefined;
  return fill ? { inputShape: ds.inputShape, fill } : { inputShape: ds.inputShape };
}

/**
 * Augments each image of `batch` into `out` (a new buffer unless given; may be `batch.x` itself for
 * in-place). Per image it draws, in this order: crop offset dy in [0, 2·pad], dx in [0, 2·pad], flip bit.
 */
export function augmentBatch(batch: Batch, rng: Rng, opts: AugmentOptions, out?: Float32Array): Batch {
  const [h, w, c] = opts.inputShape;
  const pad = opts.pad ?? 4;
  const flip = opts.flip ?? true;
  const fill = opts.fill ?? new Array<number>(c).fill(0);
  const size = h * w * c;
  const dst = out ?? new Float32Array(batch.n * size);
  const tmp = new Float32Array(size); // one image's source, so that in-place works
  for (let i = 0; i < batch.n; i++) {
    const dy = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
    const dx = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
    const flipped = flip && rng.next() < 0.5;
    tmp.set(batch.x.subarray(i * size, (i + 1) * size));
    const base = i * size;
    for (let r = 0; r < h; r++) {
      const sr = r + dy;
      for (let col = 0; col < w; col++) {
        // Crop first, then flip: output column col shows cropped column (w-1-col) when flipped.
        const sc = (flipped ? w - 1 - col : col) + dx;
        const o = base + (r * w + col) * c;
        if (sr < 0 || sr >= h || sc < 0 || sc >= w) {
          for (let ch = 0; ch < c; ch++) dst[o + ch] = fill[ch]!;
        } else {
          const s = (sr * w + sc) * c;
          for (let ch = 0; ch < c; ch++) dst[o + ch] = tmp[s + ch]!;
        }
      }
    }
  }
  const res: Batch = { x: dst, y: batch.y, n: batch.n };
  if (batch.indices) res.indices = batch.indices;
  return res;
}

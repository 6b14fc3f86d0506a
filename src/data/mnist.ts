/** MNIST and Fashion-MNIST: the four standard IDX files (gzip'd or not) in one directory. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SprigError } from '../util/errors.js';
import { readIdx } from './idx.js';
import type { RawDataset, RawSplit } from './normalise.js';

export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The path of `base` in `dir`, gzip'd or raw; undefined when neither exists. */
export function findIdxFile(dir: string, base: string): string | undefined {
  for (const name of [`${base}.gz`, base]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export interface MnistSource {
  /** Names the dataset in errors. */
  label: string;
  /** Said when a file is missing. */
  missingFix: string;
  /** Said when a file is corrupt or truncated. */
  corruptFix: string;
}

/** Reads the four IDX files of an MNIST-family dataset (10 classes) from `dir`. */
export function readMnistFamily(dir: string, src: MnistSource): RawDataset {
  const paths = Object.values(MNIST_FILES).map((b) => findIdxFile(dir, b));
  const missing = Object.values(MNIST_FILES).filter((_, i) => !paths[i]);
  if (missing.length) {
    throw new SprigError(
      `${src.label} files not found in ${dir} (missing: ${missing.map((m) => `${m}[.gz]`).join(', ')})`,
      src.missingFix,
    );
  }
  const [trImg, trLab, teImg, teLab] = paths as string[];
  const train = readPair(trImg!, trLab!, src.corruptFix);
  const test = readPair(teImg!, teLab!, src.corruptFix);
  if (train.h !== test.h || train.w !== test.w) {
    throw new SprigError(
      `${src.label}: train images are ${train.h}×${train.w} but test images ${test.h}×${test.w}`,
      src.corruptFix,
    );
  }
  return { inputShape: [train.h, train.w, 1], numClasses: 10, train: train.split, test: test.split };
}

function readPair(
  imagesPath: string,
  labelsPath: string,
  fix: string,
): { split: RawSplit; h: number; w: number } {
  const images = readIdx(imagesPath, { ndim: 3, fix });
  const labels = readIdx(labelsPath, { ndim: 1, fix });
  const [n, h, w] = images.dims as [number, number, number];
  if (labels.dims[0] !== n) {
    throw new SprigError(
      `${imagesPath} holds ${n} images but ${labelsPath} holds ${labels.dims[0]} labels`,
      fix,
    );
  }
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const l = labels.data[i]!;
    if (l > 9) throw new SprigError(`${labelsPath} is corrupt: label ${l} at index ${i}, expected 0..9`, fix);
    y[i] = l;
  }
  return { split: { x: images.data, y, n }, h, w };
}

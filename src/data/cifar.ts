/**
 * Reader for the CIFAR-10/100 "binary version" files: fixed-size records of label byte(s) then
 * 3072 pixel bytes in CHW order (1024 red, 1024 green, 1024 blue, each row-major 32×32).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SprigError } from '../util/errors.js';
import type { RawDataset, RawSplit } from './normalise.js';

const SIDE = 32;
const PIXELS = SIDE * SIDE * 3;

export const CIFAR10_TRAIN_FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
];
export const CIFAR10_TEST_FILES = ['test_batch.bin'];
export const CIFAR100_TRAIN_FILES = ['train.bin'];
export const CIFAR100_TEST_FILES = ['test.bin'];
/** The folders the official archives unpack to; a --data-dir may point at them or at their parent. */
export const CIFAR10_SUBDIR = 'cifar-10-batches-bin';
export const CIFAR100_SUBDIR = 'cifar-100-binary';

const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
const CIFAR100_URL = 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz';

export type CifarVariant = 'cifar10' | 'cifar100';

interface VariantInfo {
  labelBytes: number;
  numClasses: number;
  train: string[];
  test: string[];
  subdir: string;
  url: string;
}

const VARIANTS: Record<CifarVariant, VariantInfo> = {
  cifar10: {
    labelBytes: 1,
    numClasses: 10,
    train: CIFAR10_TRAIN_FILES,
    test: CIFAR10_TEST_FILES,
    subdir: CIFAR10_SUBDIR,
    url: CIFAR10_URL,
  },
  cifar100: {
    labelBytes: 2,
    numClasses: 100,
    train: CIFAR100_TRAIN_FILES,
    test: CIFAR100_TEST_FILES,
    subdir: CIFAR100_SUBDIR,
    url: CIFAR100_URL,
  },
};

/** The directory holding the variant's files: `dir` itself, or its standard subfolder; undefined when neither. */
export function findCifarDir(variant: CifarVariant, dir: string): string | undefined {
  const v = VARIANTS[variant];
  const files = [...v.train, ...v.test];
  for (const d of [dir, join(dir, v.subdir)]) {
    if (files.every((f) => existsSync(join(d, f)))) return d;
  }
  return undefined;
}

/** Reads CIFAR-10 or CIFAR-100 (fine labels) from `dir` (or its standard subfolder). */
export function readCifar(variant: CifarVariant, dir: string): RawDataset {
  const v = VARIANTS[variant];
  const found = findCifarDir(variant, dir);
  if (!found) {
    const missing = [...v.train, ...v.test].filter(
      (f) => !existsSync(join(dir, f)) && !existsSync(join(dir, v.subdir, f)),
    );
    throw new SprigError(
      `${variant} files not found in ${dir} (missing: ${missing.join(', ')})`,
      `download ${v.url}, unpack it, and pass --data-dir pointing at the unpacked '${v.subdir}' folder (or its parent)`,
    );
  }
  const fix = `re-download ${v.url} and unpack it into --data-dir`;
  return {
    inputShape: [SIDE, SIDE, 3],
    numClasses: v.numClasses,
    train: readCifarFiles(
      v.train.map((f) => join(found, f)),
      v.labelBytes,
      v.numClasses,
      fix,
    ),
    test: readCifarFiles(
      v.test.map((f) => join(found, f)),
      v.labelBytes,
      v.numClasses,
      fix,
    ),
  };
}

/** Reads and concatenates record files; labelBytes 1 = CIFAR-10, 2 = CIFAR-100 (coarse, fine: fine is used). */
export function readCifarFiles(
  paths: string[],
  labelBytes: number,
  numClasses: number,
  fix: string,
): RawSplit {
  const record = labelBytes + PIXELS;
  const bufs = paths.map((p) => {
    let b: Buffer;
    try {
      b = readFileSync(p);
    } catch (e) {
      throw new SprigError(`cannot read dataset file ${p}: ${(e as Error).message}`, fix);
    }
    if (b.length === 0 || b.length % record !== 0) {
      throw new SprigError(
        `dataset file ${p} is truncated or corrupt: ${b.length} bytes is not a whole number of ${record}-byte records`,
        fix,
      );
    }
    return b;
  });
  const n = bufs.reduce((s, b) => s + b.length / record, 0);
  const x = new Uint8Array(n * PIXELS);
  const y = new Int32Array(n);
  const plane = SIDE * SIDE;
  let k = 0;
  for (let f = 0; f < bufs.length; f++) {
    const b = bufs[f]!;
    for (let off = 0; off < b.length; off += record, k++) {
      const label = b[off + labelBytes - 1]!;
      if (label >= numClasses) {
        throw new SprigError(
          `dataset file ${paths[f]} is corrupt: record ${off / record} has label ${label}, expected 0..${numClasses - 1}`,
          fix,
        );
      }
      y[k] = label;
      // CHW → HWC: pixel p of channel c moves to p*3 + c.
      const src = off + labelBytes;
      const dst = k * PIXELS;
      for (let p = 0; p < plane; p++) {
        x[dst + p * 3] = b[src + p]!;
        x[dst + p * 3 + 1] = b[src + plane + p]!;
        x[dst + p * 3 + 2] = b[src + 2 * plane + p]!;
      }
    }
  }
  return { x, y, n };
}

/** Datasets by name: where their files live, how they are normalised, and the train/validation split. */
import { join, resolve } from 'node:path';
import { SprigError, unknownName } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { gather } from './batches.js';
import { cachedDataset, type BaseDataset } from './cache.js';
import {
  findCifarDir,
  readCifar,
  CIFAR10_SUBDIR,
  CIFAR100_SUBDIR,
  CIFAR10_TEST_FILES,
  CIFAR10_TRAIN_FILES,
  CIFAR100_TEST_FILES,
  CIFAR100_TRAIN_FILES,
  type CifarVariant,
} from './cifar.js';
import { findIdxFile, MNIST_FILES, readMnistFamily, type MnistSource } from './mnist.js';
import {
  CIFAR100_NORMALISATION,
  CIFAR10_NORMALISATION,
  FASHION_MNIST_NORMALISATION,
  MNIST_NORMALISATION,
  normaliseSplit,
  type RawDataset,
} from './normalise.js';
import { makeSynthetic, type SyntheticOptions } from './synthetic.js';
import type { Dataset, Normalisation, Split } from './types.js';

export const DATASET_NAMES = ['fashion_mnist', 'mnist', 'cifar10', 'cifar100', 'synthetic'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Where Debian's dataset-fashion-mnist package installs the IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface LoadDatasetOptions {
  name: string;
  /** Folder with the dataset's files (required for mnist/cifar10/cifar100; fashion_mnist defaults to the Debian package). */
  dataDir?: string;
  /** How many training examples to hold out as a validation split (chosen by `seed`); default 0. */
  validation?: number;
  /** Seeds the validation/subset choice; default 0. */
  seed?: number;
  /** CIFAR augmentation for training batches; default true for CIFAR, false otherwise. */
  augment?: boolean;
  /** Cap on the number of training examples (a seeded random subset). */
  subset?: number;
  /** Shape, classes, sizes and kind of the synthetic dataset. */
  synthetic?: SyntheticOptions;
}

export interface DatasetInfo {
  inputShape: [number, number, number];
  numClasses: number;
  defaultAugment: boolean;
  /** The file names the loader expects in --data-dir. */
  files: string[];
}

/** Shape and classes without loading (synthetic: its defaults). */
export function datasetInfo(name: string): DatasetInfo {
  const n = checkName(name);
  switch (n) {
    case 'fashion_mnist':
    case 'mnist':
      return { inputShape: [28, 28, 1], numClasses: 10, defaultAugment: false, files: mnistFileList() };
    case 'cifar10':
      return {
        inputShape: [32, 32, 3],
        numClasses: 10,
        defaultAugment: true,
        files: [...CIFAR10_TRAIN_FILES, ...CIFAR10_TEST_FILES],
      };
    case 'cifar100':
      return {
        inputShape: [32, 32, 3],
        numClasses: 100,
        defaultAugment: true,
        files: [...CIFAR100_TRAIN_FILES, ...CIFAR100_TEST_FILES],
      };
    case 'synthetic':
      return { inputShape: [8, 8, 1], numClasses: 4, defaultAugment: false, files: [] };
  }
}

/**
 * Loads (from the per-process cache when possible), normalises and splits a dataset. Without a
 * validation split or subset, train and test are the cached arrays, shared between loads: read-only.
 */
export function loadDataset(opts: LoadDatasetOptions): Dataset {
  const name = checkName(opts.name);
  const seed = opts.seed ?? 0;
  const augment = opts.augment ?? datasetInfo(name).defaultAugment;
  if (name === 'synthetic') {
    const ds = makeSynthetic(opts.synthetic ?? {});
    return { ...ds, ...splitTrain(ds.train, opts, seed), augment };
  }
  const base = loadBase(name, opts.dataDir);
  return {
    name,
    inputShape: base.inputShape,
    numClasses: base.numClasses,
    ...splitTrain(base.train, opts, seed),
    test: base.test,
    augment,
    normalisation: base.normalisation,
  };
}

function checkName(name: string): DatasetName {
  if (!(DATASET_NAMES as readonly string[]).includes(name)) throw unknownName('dataset', name, DATASET_NAMES);
  return name as DatasetName;
}

function mnistFileList(): string[] {
  return Object.values(MNIST_FILES).map((f) => `${f}.gz`);
}

function loadBase(name: Exclude<DatasetName, 'synthetic'>, dataDir?: string): BaseDataset {
  if (name === 'cifar10' || name === 'cifar100') {
    if (!dataDir) throw needsDataDir(name);
    const variant: CifarVariant = name;
    const dir = resolve(dataDir);
    const found = findCifarDir(variant, dir) ?? dir;
    const files = datasetInfo(name).files.map((f) => join(found, f));
    const norm = name === 'cifar10' ? CIFAR10_NORMALISATION : CIFAR100_NORMALISATION;
    return cachedDataset(`${name}:${dir}`, files, () => normaliseRaw(readCifar(variant, dir), norm));
  }
  let src: MnistSource;
  let dir: string;
  if (name === 'mnist') {
    if (!dataDir) throw needsDataDir(name);
    dir = resolve(dataDir);
    src = {
      label: 'MNIST',
      missingFix: `download ${mnistFileList().join(', ')} (e.g. from https://ossci-datasets.s3.amazonaws.com/mnist/) into one folder and pass it as --data-dir`,
      corruptFix: 'download the MNIST files again into --data-dir',
    };
  } else if (dataDir) {
    dir = resolve(dataDir);
    src = {
      label: 'Fashion-MNIST',
      missingFix: `put ${mnistFileList().join(', ')} (from https://github.com/zalandoresearch/fashion-mnist) in --data-dir, or leave --data-dir out to use ${FASHION_MNIST_DIR}`,
      corruptFix: 'download the Fashion-MNIST files again into --data-dir',
    };
  } else {
    dir = FASHION_MNIST_DIR;
    src = {
      label: 'Fashion-MNIST',
      missingFix:
        'install it: sudo apt-get install dataset-fashion-mnist (or pass --data-dir DIR holding the four IDX files)',
      corruptFix: 'reinstall it: sudo apt-get install --reinstall dataset-fashion-mnist',
    };
  }
  const files = Object.values(MNIST_FILES).map((b) => findIdxFile(dir, b) ?? join(dir, b));
  const norm = name === 'mnist' ? MNIST_NORMALISATION : FASHION_MNIST_NORMALISATION;
  return cachedDataset(`${name}:${dir}`, files, () => normaliseRaw(readMnistFamily(dir, src), norm));
}

function normaliseRaw(raw: RawDataset, norm: Normalisation): BaseDataset {
  return {
    inputShape: raw.inputShape,
    numClasses: raw.numClasses,
    normalisation: norm,
    train: normaliseSplit(raw.train, norm),
    test: normaliseSplit(raw.test, norm),
  };
}

function needsDataDir(name: 'mnist' | 'cifar10' | 'cifar100'): SprigError {
  const where: Record<typeof name, string> = {
    mnist: `a folder holding ${mnistFileList().join(', ')} (gzip'd or not)`,
    cifar10: `the '${CIFAR10_SUBDIR}' folder of https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (or its parent), with ${datasetInfo(name).files.join(', ')}`,
    cifar100: `the '${CIFAR100_SUBDIR}' folder of https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz (or its parent), with ${datasetInfo(name).files.join(', ')}`,
  };
  return new SprigError(
    `dataset '${name}' is not bundled and needs a data directory`,
    `pass --data-dir DIR: ${where[name]}`,
  );
}

/**
 * Which training examples stay in train and which go to validation, drawn from `seed`; both sorted so
 * they keep file order. Undefined when the whole training set is kept.
 */
export function splitIndices(
  n: number,
  opts: { validation?: number; subset?: number },
  seed: number,
): { trainIdx?: Int32Array; valIdx?: Int32Array } {
  const v = opts.validation ?? 0;
  if (!Number.isInteger(v) || v < 0 || v >= n) {
    throw new SprigError(
      `validation size ${v} is invalid for ${n} training examples`,
      `hold out an integer from 0 to ${n - 1} examples`,
    );
  }
  const s = opts.subset;
  if (s !== undefined && (!Number.isInteger(s) || s < 1)) {
    throw new SprigError(
      `training subset ${s} is invalid`,
      'give a positive integer count of training examples',
    );
  }
  const keep = Math.min(n - v, s ?? n);
  if (v === 0 && keep === n) return {};
  const perm = new Rng(seed).permutation(n);
  const res: { trainIdx: Int32Array; valIdx?: Int32Array } = { trainIdx: perm.slice(v, v + keep).sort() };
  if (v > 0) res.valIdx = perm.slice(0, v).sort();
  return res;
}

/** Train (possibly a subset) and validation splits of a full training split, as fresh copies. */
function splitTrain(
  split: Split,
  opts: { validation?: number; subset?: number },
  seed: number,
): { train: Split; validation?: Split } {
  const { trainIdx, valIdx } = splitIndices(split.n, opts, seed);
  const copy = (idx: Int32Array): Split => {
    const b = gather(split, idx);
    return { x: b.x, y: b.y, n: b.n };
  };
  const train = trainIdx ? copy(trainIdx) : split;
  return valIdx ? { train, validation: copy(valIdx) } : { train };
}

/**
 * Deterministic mini-batches. Epoch e is a permutation drawn from an Rng whose state at the start of
 * the epoch is part of the stream's position, so a checkpoint holding {epoch, index, rngState}
 * resumes with exactly the batches an uninterrupted run would have seen.
 */
import { SprigError } from '../util/errors.js';
import { Rng, type RngState } from '../util/rng.js';
import { augmentBatch, type AugmentOptions } from './augment.js';
import type { Batch, Split } from './types.js';

/** Where a stream stands: the next batch is batch `index` of epoch `epoch`, whose Rng started at `rngState`. */
export interface BatchPosition {
  epoch: number;
  index: number;
  rngState: RngState;
}

export interface BatchStreamOptions {
  batchSize: number;
  /** Seeds the first epoch when not resuming; default 0. */
  seed?: number;
  /** Resume from a saved `position` (takes precedence over seed). */
  position?: BatchPosition;
  /** Drop the last partial batch of each epoch; default false (keep it). */
  dropLast?: boolean;
  /** Shuffle each epoch; default true. */
  shuffle?: boolean;
  /** Augment every batch (CIFAR crop+flip), with randomness derived from the epoch and batch index. */
  augment?: AugmentOptions;
}

/** Copies the examples `indices` of a split into a new batch (records the indices too). */
export function gather(split: Split, indices: ArrayLike<number>): Batch {
  const n = indices.length;
  const size = split.n ? split.x.length / split.n : 0;
  const x = new Float32Array(n * size);
  const y = new Int32Array(n);
  const idx = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k]!;
    if (!(i >= 0 && i < split.n)) throw new RangeError(`gather: index ${i} out of range 0..${split.n - 1}`);
    x.set(split.x.subarray(i * size, (i + 1) * size), k * size);
    y[k] = split.y[i]!;
    idx[k] = i;
  }
  return { x, y, n, indices: idx };
}

/** Batches of a split in order, for evaluation. They are views into the split: do not write into them. */
export function* sequentialBatches(split: Split, batchSize: number): Generator<Batch> {
  const size = split.n ? split.x.length / split.n : 0;
  for (let s = 0; s < split.n; s += batchSize) {
    const e = Math.min(split.n, s + batchSize);
    yield { x: split.x.subarray(s * size, e * size), y: split.y.subarray(s, e), n: e - s };
  }
}

export class BatchStream {
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  private readonly shuffle: boolean;
  private readonly augment?: AugmentOptions;
  private epochNo: number;
  private index: number;
  private epochState: RngState;
  // Derived from epochState on first use in an epoch (cheap to recompute after a resume).
  private perm: Int32Array | null = null;
  private augState: RngState | null = null;
  private nextEpochState: RngState | null = null;

  constructor(
    readonly split: Split,
    opts: BatchStreamOptions,
  ) {
    const b = opts.batchSize;
    if (!Number.isInteger(b) || b < 1) {
      throw new SprigError(`batch size ${b} is invalid`, 'use a positive integer for --batch-size');
    }
    if (b > split.n) {
      throw new SprigError(
        `batch size ${b} is larger than the dataset (${split.n} examples)`,
        `use --batch-size of at most ${split.n}`,
      );
    }
    this.batchSize = b;
    this.batchesPerEpoch = opts.dropLast ? Math.floor(split.n / b) : Math.ceil(split.n / b);
    this.shuffle = opts.shuffle ?? true;
    if (opts.augment) this.augment = opts.augment;
    const pos = opts.position;
    if (pos) {
      const okState =
        Array.isArray(pos.rngState) &&
        pos.rngState.length === 4 &&
        pos.rngState.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32);
      if (
        !Number.isInteger(pos.epoch) ||
        pos.epoch < 0 ||
        !Number.isInteger(pos.index) ||
        pos.index < 0 ||
        pos.index >= this.batchesPerEpoch ||
        !okState
      ) {
        throw new SprigError(
          `saved batch position ${JSON.stringify(pos)} does not fit this data (${this.batchesPerEpoch} batches per epoch)`,
          'resume with the same dataset and batch size the run was started with, or start a fresh run',
        );
      }
      this.epochNo = pos.epoch;
      this.index = pos.index;
      this.epochState = [...pos.rngState] as RngState;
    } else {
      this.epochNo = 0;
      this.index = 0;
      this.epochState = new Rng(opts.seed ?? 0).state;
    }
  }

  /** Serialisable position: store it in a checkpoint and pass it back as `position` to resume. */
  get position(): BatchPosition {
    return { epoch: this.epochNo, index: this.index, rngState: [...this.epochState] as RngState };
  }

  /** The epoch the next batch belongs to. */
  get epoch(): number {
    return this.epochNo;
  }

  /** Batches left in the current epoch (the full count at an epoch boundary). */
  get remainingInEpoch(): number {
    return this.batchesPerEpoch - this.index;
  }

  /** The next batch; after the last batch of an epoch the position moves to index 0 of the next. */
  next(): Batch {
    if (!this.perm) this.startEpoch();
    const b = this.batchSize;
    const start = this.index * b;
    const idx = this.perm!.subarray(start, Math.min(this.split.n, start + b));
    let batch = gather(this.split, idx);
    if (this.augment)
      batch = augmentBatch(batch, batchRng(this.augState!, this.index), this.augment, batch.x);
    this.index++;
    if (this.index === this.batchesPerEpoch) {
      this.epochNo++;
      this.index = 0;
      this.epochState = this.nextEpochState!;
      this.perm = null;
    }
    return batch;
  }

  /** The rest of the current epoch's batches. */
  *restOfEpoch(): Generator<Batch> {
    const e = this.epochNo;
    while (this.epochNo === e) yield this.next();
  }

  private startEpoch(): void {
    const rng = new Rng(this.epochState);
    if (this.shuffle) {
      this.perm = rng.permutation(this.split.n);
    } else {
      this.perm = new Int32Array(this.split.n);
      for (let i = 0; i < this.split.n; i++) this.perm[i] = i;
    }
    this.augState = rng.fork().state;
    this.nextEpochState = rng.state;
  }
}

// Augmentation randomness for batch i depends only on (epoch, i), so resuming mid-epoch needs no replay.
function batchRng(base: RngState, index: number): Rng {
  const h1 = hash32(index + 1);
  const h2 = hash32(h1 ^ 0x5bd1e995);
  const rng = new Rng([(base[0] ^ h1) >>> 0, (base[1] ^ h2) >>> 0, base[2], (base[3] | 1) >>> 0]);
  for (let i = 0; i < 8; i++) rng.nextU32(); // decorrelate neighbouring indices
  return rng;
}

function hash32(x: number): number {
  x = Math.imul((x ^ (x >>> 16)) >>> 0, 0x85ebca6b) >>> 0;
  x = Math.imul((x ^ (x >>> 13)) >>> 0, 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

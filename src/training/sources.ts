import { BatchStream, type BatchPosition, type BatchStreamOptions } from '../data/batches.js';
import type { Split } from '../data/types.js';
import type { BatchSource } from './loop.js';

/** A shuffled, seeded stream over a split, as a resumable BatchSource. */
export function streamSource(
  split: Split,
  opts: BatchStreamOptions,
): BatchSource & { batchesPerEpoch: number } {
  let stream = new BatchStream(split, opts);
  return {
    batchesPerEpoch: stream.batchesPerEpoch,
    next: () => stream.next(),
    state: () => stream.position,
    load: (s) => {
      stream = new BatchStream(split, { ...opts, position: s as BatchPosition });
    },
  };
}

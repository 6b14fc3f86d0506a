/**
 * A tf.data.Dataset read into memory as `{x, y}` tensors, so it takes the one path of in-memory
 * data (tensors.ts): the same content hash, hence the same run id as the same tensors given
 * directly. sprig batches and shuffles with its own seed, so the dataset's batching only says how
 * its elements are shaped, and its order enters the hash (shuffle it with a seed, or not at all).
 */
import { tf } from '../engine/index.js';
import { SprigError } from '../util/errors.js';
import type { TensorData } from './tensors.js';

/**
 * What sprig uses of a tf.data.Dataset (by shape, so sprig needs no @tensorflow/tfjs-data): its
 * size and an iterator. Elements are `{xs, ys}` (what `model.fitDataset` takes) or `[x, y]`.
 */
export interface TfDataset {
  readonly size: number | null;
  iterator(): Promise<{ next(): Promise<IteratorResult<unknown>> }>;
}

export function isTfDataset(d: unknown): d is TfDataset {
  return typeof d === 'object' && d !== null && typeof (d as TfDataset).iterator === 'function';
}

/** How the dataset's elements are read: `inputRank` is the model's input rank with its batch axis. */
export interface ReadOptions {
  inputRank?: number;
  /** What the error messages call the data (default 'data'). */
  what?: string;
}

/**
 * All elements, batched or not, as one `{x, y}`. Batched or not is read off the model's input rank
 * when given (elements of that rank are batches), else off the elements: a scalar label, or inputs
 * and labels of unequal leading size, mean one example per element.
 */
export async function readTfDataset(ds: TfDataset, o: ReadOptions = {}): Promise<TensorData> {
  const what = o.what ?? 'data';
  if (ds.size === Infinity)
    throw new SprigError(
      `${what}: the tf.data.Dataset is infinite (repeat() without a count)`,
      'give a finite dataset, e.g. ds.take(n); sprig repeats it for its own epochs',
    );
  const xs: tf.Tensor[] = [];
  const ys: tf.Tensor[] = [];
  const it = await ds.iterator();
  for (let r = await it.next(); !r.done; r = await it.next()) {
    const [x, y] = pairOf(r.value, what, xs.length);
    xs.push(x);
    ys.push(y);
  }
  if (!xs.length)
    throw new SprigError(`${what}: the tf.data.Dataset has no elements`, 'give a dataset with examples');
  const batched = isBatched(xs[0]!, ys[0]!, o.inputRank);
  const out = tf.tidy(() => ({
    x: batched ? tf.concat(xs, 0) : tf.stack(xs),
    y: batched ? tf.concat(ys, 0) : tf.stack(ys),
  }));
  tf.dispose([...xs, ...ys]);
  return out;
}

/** One element as [inputs, labels]: `{xs, ys}` or `[x, y]`. */
function pairOf(e: unknown, what: string, i: number): [tf.Tensor, tf.Tensor] {
  const pair = Array.isArray(e) ? e : [(e as { xs?: unknown })?.xs, (e as { ys?: unknown })?.ys];
  if (pair.length === 2 && pair.every((t) => t instanceof tf.Tensor)) return pair as [tf.Tensor, tf.Tensor];
  throw new SprigError(
    `${what}: element ${i} of the tf.data.Dataset is not {xs, ys} or [x, y] tensors`,
    'map each element to {xs: inputs, ys: labels}, as model.fitDataset takes them',
  );
}

function isBatched(x: tf.Tensor, y: tf.Tensor, inputRank?: number): boolean {
  if (inputRank !== undefined) return x.rank === inputRank;
  return y.rank > 0 && x.shape[0] === y.shape[0];
}

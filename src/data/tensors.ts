/**
 * A user's own tensors as a sprig dataset: `{x, y}` with class labels or one-hot rows, named by a
 * content hash, so the same data gives the same run id and different data never shares a run.
 */
import { createHash } from 'node:crypto';
import { tf } from '../engine/index.js';
import type { Dataset, Split } from './types.js';
import { SprigError } from '../util/errors.js';

/** Training (or test) data in memory. */
export interface TensorData {
  /** Inputs, [n, features] or [n, height, width] or [n, height, width, channels], as the model takes them. */
  x: tf.Tensor;
  /** Class labels [n] (integers), or one-hot rows [n, classes]. */
  y: tf.Tensor;
}

/** Prefix of the dataset name of in-memory data; the rest is the data's content hash. */
export const TENSOR_DATASET_PREFIX = 'tensors_';

/** NHWC shape of one example: features become [1, 1, features], a grey image gets one channel. */
function exampleShape(x: tf.Tensor): [number, number, number] {
  const s = x.shape.slice(1);
  if (s.length === 1) return [1, 1, s[0]!];
  if (s.length === 2) return [s[0]!, s[1]!, 1];
  if (s.length === 3) return [s[0]!, s[1]!, s[2]!];
  throw new SprigError(
    `x has shape ${x.shape.join('×')}; sprig takes [n, features] or [n, height, width(, channels)]`,
    'reshape the inputs to one of those shapes',
  );
}

function labelsOf(d: TensorData, what: string): { y: Int32Array; oneHot?: number } {
  const n = d.x.shape[0]!;
  if (d.y.shape[0] !== n || d.y.rank > 2)
    throw new SprigError(
      `${what}: x has ${n} examples, y has shape ${d.y.shape.join('×')}`,
      'give y as one class label per example ([n]) or one-hot rows ([n, classes])',
    );
  if (d.y.rank === 1) return { y: Int32Array.from(d.y.dataSync()) };
  const idx = tf.argMax(d.y, 1);
  const y = Int32Array.from(idx.dataSync());
  idx.dispose();
  return { y, oneHot: d.y.shape[1] };
}

function splitOf(d: TensorData, what: string, numClasses: number): Split {
  const { y } = labelsOf(d, what);
  const bad = y.findIndex((c) => !(c >= 0 && c < numClasses));
  if (bad >= 0)
    throw new SprigError(
      `${what}: label ${y[bad]} of example ${bad} is outside [0, ${numClasses})`,
      `give labels 0 … ${numClasses - 1}, one per class of the model's output`,
    );
  return { x: Float32Array.from(d.x.dataSync()), y, n: y.length };
}

/** sha256 of the splits' shapes, inputs and labels: the data's identity. */
function contentHash(splits: Split[], shape: number[]): string {
  const h = createHash('sha256').update(JSON.stringify(shape));
  for (const s of splits)
    h.update(JSON.stringify([s.n]))
      .update(s.x)
      .update(s.y);
  return h.digest('hex');
}

/**
 * A dataset of the user's tensors. `test` defaults to the training data itself (its accuracy is
 * then training accuracy); `numClasses` defaults to one-hot width, else the largest label + 1.
 */
export function tensorDataset(
  train: TensorData,
  o: { test?: TensorData; numClasses?: number } = {},
): Dataset {
  const inputShape = exampleShape(train.x);
  const { y, oneHot } = labelsOf(train, 'data');
  const numClasses = o.numClasses ?? oneHot ?? y.reduce((m, c) => Math.max(m, c), 0) + 1;
  const trainSplit = splitOf(train, 'data', numClasses);
  if (o.test && o.test.x.shape.slice(1).join() !== train.x.shape.slice(1).join())
    throw new SprigError(
      `test x has examples of shape ${o.test.x.shape.slice(1).join('×')}, training x ${train.x.shape.slice(1).join('×')}`,
      'give test inputs of the training inputs’ shape',
    );
  const testSplit = o.test ? splitOf(o.test, 'test data', numClasses) : trainSplit;
  const hash = contentHash([trainSplit, testSplit], [...inputShape, numClasses]);
  return {
    name: `${TENSOR_DATASET_PREFIX}${hash.slice(0, 16)}`,
    inputShape,
    numClasses,
    train: trainSplit,
    test: testSplit,
    augment: false,
  };
}

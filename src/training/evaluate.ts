import { tf } from '../engine/index.js';
import type { Split } from '../data/types.js';
import type { Model, ParamTensors } from '../models/types.js';

export interface EvalMetrics {
  loss: number;
  accuracy: number;
  /** Mean of 1 − p(true class): the Deep Bootstrap paper's soft error. */
  softError: number;
}

/** Logits of a whole split in eval mode, batch by batch (n × classes, row-major). */
export function predict(
  model: Model,
  params: () => ParamTensors,
  split: Split,
  batchSize = 1000,
): Float32Array {
  const [h, w, c] = model.inputShape;
  const per = h * w * c;
  const out = new Float32Array(split.n * model.numClasses);
  for (let start = 0; start < split.n; start += batchSize) {
    const n = Math.min(batchSize, split.n - start);
    tf.tidy(() => {
      const x = tf.tensor4d(split.x.subarray(start * per, (start + n) * per), [n, h, w, c]);
      out.set(model.forward(params(), x, false).dataSync(), start * model.numClasses);
    });
  }
  return out;
}

/** Loss, accuracy and soft error from logits, computed in float64. */
export function metricsFromLogits(logits: Float32Array, labels: Int32Array, numClasses: number): EvalMetrics {
  const n = labels.length;
  let loss = 0;
  let correct = 0;
  let soft = 0;
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * numClasses, (i + 1) * numClasses);
    let max = -Infinity;
    let arg = 0;
    for (let k = 0; k < numClasses; k++) {
      if (row[k]! > max) {
        max = row[k]!;
        arg = k;
      }
    }
    let z = 0;
    for (let k = 0; k < numClasses; k++) z += Math.exp(row[k]! - max);
    const y = labels[i]!;
    const logp = row[y]! - max - Math.log(z);
    loss -= logp;
    soft += 1 - Math.exp(logp);
    if (arg === y) correct++;
  }
  return { loss: loss / n, accuracy: correct / n, softError: soft / n };
}

export function evaluate(
  model: Model,
  params: () => ParamTensors,
  split: Split,
  batchSize = 1000,
): EvalMetrics {
  return metricsFromLogits(predict(model, params, split, batchSize), split.y, model.numClasses);
}

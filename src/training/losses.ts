import { softmaxCrossEntropy, tf } from '../engine/index.js';

/**
 * A loss over a batch's logits; injected into the training loop (KD is one). `crossEntropy` marks
 * sprig's softmax cross-entropy and its label smoothing, which the compiled engine runs natively.
 */
export type LossFn = ((logits: tf.Tensor2D, labels: tf.Tensor1D, x: tf.Tensor4D) => tf.Scalar) & {
  crossEntropy?: { labelSmoothing: number };
};

/** Soft targets: one-hot smoothed towards uniform by ε (Szegedy et al. 2016). */
function targets(labels: tf.Tensor1D, numClasses: number, labelSmoothing: number): tf.Tensor2D {
  const onehot = tf.oneHot(labels, numClasses) as tf.Tensor2D;
  if (labelSmoothing === 0) return onehot;
  return tf.add(tf.mul(onehot, 1 - labelSmoothing), labelSmoothing / numClasses) as tf.Tensor2D;
}

/** Mean cross-entropy over the batch, with optional label smoothing. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, labelSmoothing = 0): tf.Scalar {
  // −mean(Σ t ⊙ logSoftmax(z)): one native kernel when the engine is loaded.
  return softmaxCrossEntropy(logits, targets(labels, logits.shape[1], labelSmoothing));
}

export function crossEntropyLoss(labelSmoothing = 0): LossFn {
  const loss: LossFn = (logits, labels) => crossEntropy(logits, labels, labelSmoothing);
  loss.crossEntropy = { labelSmoothing };
  return loss;
}

/**
 * Knowledge-distillation loss of the KD-ticket paper (Ma et al. 2021):
 *   α·T²·KL(softmax(z_t/T) ‖ softmax(z_s/T)) + (1−α)·CE(z_s, y).
 * KL is summed over classes and averaged over the batch ('batchmean', as the paper's ImageNet code;
 * its CIFAR code's element-wise mean would divide it by the number of classes as well).
 */
export function kdLoss(
  teacherLogits: (x: tf.Tensor4D) => tf.Tensor2D,
  alpha: number,
  temperature: number,
  labelSmoothing = 0,
): LossFn {
  return (logits, labels, x) => {
    const zt = tf.div(teacherLogits(x), temperature);
    const logPt = tf.logSoftmax(zt);
    const logPs = tf.logSoftmax(tf.div(logits, temperature));
    const kl = tf.mean(tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), 1));
    const ce = crossEntropy(logits, labels, labelSmoothing);
    return tf.add(tf.mul(kl, alpha * temperature * temperature), tf.mul(ce, 1 - alpha)) as tf.Scalar;
  };
}

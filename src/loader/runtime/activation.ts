/** Activation functions: ReLU is fused into the kernels; the others run here, in place. */
import { sizeOf, unsupported } from './layer.js';

export type InPlace = (v: Float32Array, shape: number[], batch: number) => void;

const map =
  (f: (x: number) => number): InPlace =>
  (v) => {
    for (let i = 0; i < v.length; i++) v[i] = f(v[i]!);
  };

/** Softmax over the features of each example; vectors are stored [f][batch]. */
const softmax: InPlace = (v, shape, batch) => {
  const f = sizeOf(shape);
  for (let b = 0; b < batch; b++) {
    let max = -Infinity;
    for (let i = 0; i < f; i++) max = Math.max(max, v[i * batch + b]!);
    let sum = 0;
    for (let i = 0; i < f; i++) sum += v[i * batch + b] = Math.exp(v[i * batch + b]! - max);
    for (let i = 0; i < f; i++) v[i * batch + b]! /= sum;
  }
};

export const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as const;

/**
 * How a layer applies activation `name` to outputs of this shape: `relu` for the kernels to fuse,
 * and/or a function to run afterwards (none for linear).
 */
export function activationOf(
  name: unknown,
  layer: string,
  shape: number[],
): { relu: boolean; after?: InPlace } {
  switch (name ?? 'linear') {
    case 'linear':
      return { relu: false };
    case 'relu':
      return { relu: true };
    case 'sigmoid':
      return { relu: false, after: map((x) => 1 / (1 + Math.exp(-x))) };
    case 'tanh':
      return { relu: false, after: map(Math.tanh) };
    case 'softmax':
      if (shape.length !== 1) throw unsupported(layer, 'softmax over an image (rank 3)');
      return { relu: false, after: softmax };
  }
  throw unsupported(layer, `activation '${String(name)}'`, `the runtime runs ${ACTIVATIONS.join(', ')}`);
}

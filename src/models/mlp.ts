import { tf } from '../engine/index.js';
import { SpecBuilder, dense, flatten, initParams } from './layers.js';
import type { Model } from './types.js';

/**
 * A fully connected ReLU network. LeNet-300-100 is `mlp([300, 100])`: fc1, fc2, then the output
 * layer `fc` (266,610 parameters on 28×28 inputs).
 */
export function mlp(
  name: string,
  hidden: number[],
  inputShape: [number, number, number],
  numClasses: number,
): Model {
  const b = new SpecBuilder();
  let fanIn = inputShape[0] * inputShape[1] * inputShape[2];
  hidden.forEach((h, i) => {
    b.dense(`fc${i + 1}`, fanIn, h);
    fanIn = h;
  });
  b.dense('fc', fanIn, numClasses, { isOutput: true });
  return {
    name,
    inputShape,
    numClasses,
    specs: b.specs,
    bnStats: b.bnStats,
    init: (rng) => initParams(b.specs, rng),
    chain: [
      ...hidden.map((_, i) => ({
        weight: `fc${i + 1}.weight`,
        bias: `fc${i + 1}.bias`,
        activation: 'relu' as const,
      })),
      { weight: 'fc.weight', bias: 'fc.bias', activation: 'linear' },
    ],
    forward(p, x) {
      let h: tf.Tensor2D = flatten(x);
      hidden.forEach((_, i) => {
        h = dense(p, `fc${i + 1}`, h, 'relu');
      });
      return dense(p, 'fc', h, 'linear');
    },
  };
}

import { tf } from '../engine/index.js';
import { SpecBuilder, batchNorm, conv, dense, flatten, initParams, maxPool2, validOut } from './layers.js';
import type { Model } from './types.js';

/** LeNet-5 as in the gradient-flow paper (conv 6, 16 of 5×5 valid, max-pool, FC 120, 84, 10; no batch norm). */
export function lenet5(inputShape: [number, number, number], numClasses: number): Model {
  const [h, , c] = inputShape;
  const b = new SpecBuilder();
  const s1 = validOut(h, 5);
  b.conv('conv1', 5, c, 6, s1 * s1);
  const p1 = Math.floor(s1 / 2);
  const s2 = validOut(p1, 5);
  b.conv('conv2', 5, 6, 16, s2 * s2);
  const p2 = Math.floor(s2 / 2);
  b.dense('fc1', p2 * p2 * 16, 120);
  b.dense('fc2', 120, 84);
  b.dense('fc', 84, numClasses, { isOutput: true });
  return {
    name: 'mnist_lenet5',
    inputShape,
    numClasses,
    specs: b.specs,
    bnStats: b.bnStats,
    init: (rng) => initParams(b.specs, rng),
    forward(p, x) {
      let y = maxPool2(conv(p, 'conv1', x, 1, 'valid', 'relu'));
      y = maxPool2(conv(p, 'conv2', y, 1, 'valid', 'relu'));
      let z = dense(p, 'fc1', flatten(y), 'relu');
      z = dense(p, 'fc2', z, 'relu');
      return dense(p, 'fc', z, 'linear');
    },
  };
}

/**
 * Conv-2/4/6 of Frankle & Carbin (2019): pairs of 3×3 'same' convs (64, 128, 256 filters), each pair
 * followed by 2×2 max-pool, then FC 256, 256 and the output layer.
 */
export function convN(pairs: 1 | 2 | 3, inputShape: [number, number, number], numClasses: number): Model {
  const widths = [64, 128, 256].slice(0, pairs);
  const b = new SpecBuilder();
  let [size, , cin] = inputShape;
  let li = 0;
  for (const w of widths) {
    for (let j = 0; j < 2; j++) {
      b.conv(`conv${++li}`, 3, cin, w, size * size);
      cin = w;
    }
    size = Math.floor(size / 2);
  }
  b.dense('fc1', size * size * cin, 256);
  b.dense('fc2', 256, 256);
  b.dense('fc', 256, numClasses, { isOutput: true });
  const nConv = li;
  return {
    name: `cifar_conv${pairs * 2}`,
    inputShape,
    numClasses,
    specs: b.specs,
    bnStats: b.bnStats,
    init: (rng) => initParams(b.specs, rng),
    forward(p, x) {
      let y = x;
      for (let i = 1; i <= nConv; i++) {
        y = conv(p, `conv${i}`, y, 1, 'same', 'relu');
        if (i % 2 === 0) y = maxPool2(y);
      }
      let z = dense(p, 'fc1', flatten(y), 'relu');
      z = dense(p, 'fc2', z, 'relu');
      return dense(p, 'fc', z, 'linear');
    },
  };
}

/** VGG-16 as in OpenLTH's cifar_vgg_16: 3×3 conv + BN + ReLU, 4 max-pools, global average pool, FC. */
export function vgg16(inputShape: [number, number, number], numClasses: number): Model {
  const plan: (number | 'M')[] = [
    64,
    64,
    'M',
    128,
    128,
    'M',
    256,
    256,
    256,
    'M',
    512,
    512,
    512,
    'M',
    512,
    512,
    512,
  ];
  const b = new SpecBuilder();
  let [size, , cin] = inputShape;
  let li = 0;
  for (const v of plan) {
    if (v === 'M') {
      size = Math.floor(size / 2);
      continue;
    }
    li++;
    b.conv(`conv${li}`, 3, cin, v, size * size, { bias: false });
    b.bn(`bn${li}`, v, size * size);
    cin = v;
  }
  b.dense('fc', cin, numClasses, { isOutput: true });
  return {
    name: 'cifar_vgg_16',
    inputShape,
    numClasses,
    specs: b.specs,
    bnStats: b.bnStats,
    init: (rng) => initParams(b.specs, rng),
    forward(p, x, training) {
      let y = x;
      let i = 0;
      for (const v of plan) {
        if (v === 'M') {
          y = maxPool2(y);
          continue;
        }
        i++;
        y = batchNorm(p, b.bnStats, `bn${i}`, conv(p, `conv${i}`, y, 1, 'same', 'linear'), training, {
          relu: true,
        });
      }
      return dense(p, 'fc', tf.mean(y, [1, 2]) as tf.Tensor2D, 'linear');
    },
  };
}

import { tf } from '../engine/index.js';
import { SpecBuilder, batchNorm, conv, dense, initParams } from './layers.js';
import type { Model, ParamTensors } from './types.js';

/**
 * CIFAR ResNets (He et al. 2016, as in OpenLTH and torch_reference.py): a 3×3 stem, three stages of
 * `blocks` basic blocks at widths w, 2w, 4w (stride 2 entering stages 2 and 3, 1×1 conv + BN
 * shortcut where the shape changes), global average pool, FC. ResNet-20/56/110: blocks 3/9/18, w 16.
 * WRN-22-2 uses the same blocks, 3 per stage, at widths 32/64/128 after a 16-wide stem.
 */
export function resnet(
  name: string,
  blocks: number,
  widths: [number, number, number],
  stem: number,
  inputShape: [number, number, number],
  numClasses: number,
): Model {
  const b = new SpecBuilder();
  let [size, , cin] = inputShape;
  b.conv('conv', 3, cin, stem, size * size, { bias: false });
  b.bn('bn', stem, size * size);
  cin = stem;
  interface Block {
    prefix: string;
    stride: number;
    shortcut: boolean;
  }
  const plan: Block[] = [];
  widths.forEach((w, stage) => {
    for (let i = 0; i < blocks; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const prefix = `blocks.${plan.length}`;
      const outSize = stride === 2 ? Math.ceil(size / 2) : size;
      const hw = outSize * outSize;
      b.conv(`${prefix}.conv1`, 3, cin, w, hw, { bias: false });
      b.bn(`${prefix}.bn1`, w, hw);
      b.conv(`${prefix}.conv2`, 3, w, w, hw, { bias: false });
      b.bn(`${prefix}.bn2`, w, hw);
      const shortcut = stride !== 1 || cin !== w;
      if (shortcut) {
        b.conv(`${prefix}.shortcut.conv`, 1, cin, w, hw, { bias: false });
        b.bn(`${prefix}.shortcut.bn`, w, hw);
      }
      plan.push({ prefix, stride, shortcut });
      cin = w;
      size = outSize;
    }
  });
  b.dense('fc', cin, numClasses, { isOutput: true });
  // bn, then optionally + residual and ReLU: one fused kernel in training (same function as
  // tf.relu(tf.add(bn(x), residual))).
  const bn = (
    p: ParamTensors,
    n: string,
    x: tf.Tensor4D,
    training: boolean,
    fuse?: { residual?: tf.Tensor4D; relu?: boolean },
  ) => batchNorm(p, b.bnStats, n, x, training, fuse);
  return {
    name,
    inputShape,
    numClasses,
    specs: b.specs,
    bnStats: b.bnStats,
    init: (rng) => initParams(b.specs, rng),
    forward(p, x, training) {
      const relu = { relu: true };
      let y = bn(p, 'bn', conv(p, 'conv', x, 1, 'same', 'linear'), training, relu);
      for (const { prefix, stride, shortcut } of plan) {
        const h = bn(
          p,
          `${prefix}.bn1`,
          conv(p, `${prefix}.conv1`, y, stride, 'same', 'linear'),
          training,
          relu,
        );
        const s = shortcut
          ? bn(
              p,
              `${prefix}.shortcut.bn`,
              conv(p, `${prefix}.shortcut.conv`, y, stride, 'same', 'linear'),
              training,
            )
          : y;
        // relu(bn2(conv2(h)) + shortcut)
        y = bn(p, `${prefix}.bn2`, conv(p, `${prefix}.conv2`, h, 1, 'same', 'linear'), training, {
          residual: s,
          relu: true,
        });
      }
      return dense(p, 'fc', tf.mean(y, [1, 2]) as tf.Tensor2D, 'linear');
    },
  };
}

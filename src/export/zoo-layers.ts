/**
 * The zoo's architectures as TF.js LayersModels, layer for layer: the same ops in the same order as
 * the models' forward functions (src/models/*), with sprig's parameter names as layer names, so an
 * exported model computes what sprig computes. tests/export-tfjs.test.ts checks every zoo model.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import type { Model, ParamSpec } from '../models/types.js';
import { SprigError } from '../util/errors.js';

type Sym = tfl.SymbolicTensor;
const apply = (layer: tfl.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;

/** BN as sprig's: ε 1e-5, running statistics (Keras momentum 0.9 is PyTorch's 0.1). */
const bn = (name: string) => tfl.layers.batchNormalization({ name, epsilon: 1e-5, momentum: 0.9, axis: -1 });

function conv(s: ParamSpec, stride: number, padding: 'same' | 'valid', relu: boolean, useBias: boolean) {
  return tfl.layers.conv2d({
    name: layerOf(s),
    filters: s.shape[3]!,
    kernelSize: s.shape[0]!,
    strides: stride,
    padding,
    useBias,
    activation: relu ? 'relu' : 'linear',
  });
}

const layerOf = (s: ParamSpec) => s.name.replace(/\.weight$/, '');
const weightsOf = (m: Model, kind: ParamSpec['kind']) => m.specs.filter((s) => s.kind === kind);

/** Dense layers in order, ReLU between them and linear logits at the end (MLP, LeNet-5 and Conv-N heads). */
function denseHead(m: Model, x: Sym): Sym {
  const ds = weightsOf(m, 'dense');
  ds.forEach((s, i) => {
    const last = i === ds.length - 1;
    x = apply(
      tfl.layers.dense({ name: layerOf(s), units: s.shape[1]!, activation: last ? 'linear' : 'relu' }),
      x,
    );
  });
  return x;
}

function mlp(m: Model, x: Sym): Sym {
  return denseHead(m, apply(tfl.layers.flatten({ name: 'flatten' }), x));
}

/** LeNet-5 (valid convs, pool after each) and Conv-2/4/6 (same convs, pool after each pair). */
function plainConvNet(m: Model, x: Sym, padding: 'same' | 'valid', poolEvery: number): Sym {
  weightsOf(m, 'conv').forEach((s, i) => {
    x = apply(conv(s, 1, padding, true, true), x);
    if ((i + 1) % poolEvery === 0)
      x = apply(tfl.layers.maxPooling2d({ name: `pool${i + 1}`, poolSize: 2 }), x);
  });
  return denseHead(m, apply(tfl.layers.flatten({ name: 'flatten' }), x));
}

/** VGG-16: conv + BN + ReLU, max-pools after convs 2, 4, 7 and 10, global average pool, FC. */
function vgg(m: Model, x: Sym): Sym {
  const pools = new Set([2, 4, 7, 10]);
  weightsOf(m, 'conv').forEach((s, i) => {
    const n = i + 1;
    x = apply(conv(s, 1, 'same', false, false), x);
    x = apply(bn(`bn${n}`), x);
    x = apply(tfl.layers.reLU({ name: `relu${n}` }), x);
    if (pools.has(n)) x = apply(tfl.layers.maxPooling2d({ name: `pool${n}`, poolSize: 2 }), x);
  });
  return head(m, x);
}

function head(m: Model, x: Sym): Sym {
  x = apply(tfl.layers.globalAveragePooling2d({ name: 'pool' }), x);
  const fc = weightsOf(m, 'dense').at(-1)!;
  return apply(tfl.layers.dense({ name: layerOf(fc), units: fc.shape[1]! }), x);
}

/**
 * CIFAR ResNets and WRN: stem conv-BN-ReLU, basic blocks relu(bn2(conv2(relu(bn1(conv1 x)))) + s),
 * s = BN(1×1 conv) where a block has a shortcut; stride 2 where the width changes after block 0.
 */
function resnet(m: Model, x: Sym): Sym {
  const byName = new Map(m.specs.map((s) => [s.name, s]));
  const spec = (n: string) => byName.get(`${n}.weight`)!;
  const cbr = (prefix: string, convName: string, bnName: string, stride: number, relu: boolean, y: Sym) => {
    y = apply(conv(spec(convName), stride, 'same', false, false), y);
    y = apply(bn(bnName), y);
    return relu ? apply(tfl.layers.reLU({ name: `${prefix}relu` }), y) : y;
  };
  x = cbr('', 'conv', 'bn', 1, true, x);
  let width = spec('conv').shape[3]!;
  for (let b = 0; byName.has(`blocks.${b}.conv1.weight`); b++) {
    const p = `blocks.${b}`;
    const w = spec(`${p}.conv1`).shape[3]!;
    const stride = b > 0 && w !== width ? 2 : 1;
    const h = cbr(`${p}.`, `${p}.conv1`, `${p}.bn1`, stride, true, x);
    const s = byName.has(`${p}.shortcut.conv.weight`)
      ? cbr(`${p}.shortcut.`, `${p}.shortcut.conv`, `${p}.shortcut.bn`, stride, false, x)
      : x;
    const y = cbr(`${p}.`, `${p}.conv2`, `${p}.bn2`, 1, false, h);
    x = apply(tfl.layers.reLU({ name: `${p}.out` }), apply(tfl.layers.add({ name: `${p}.add` }), [y, s]));
    width = w;
  }
  return head(m, x);
}

/** The body of a zoo model on input `x`, or an error naming the model when it has no TF.js form. */
export function zooBody(m: Model, x: Sym): Sym {
  const n = m.name;
  if (n === 'mnist_lenet_300_100' || /^mlp(_\d+)*$/.test(n)) return mlp(m, x);
  if (n === 'mnist_lenet5') return plainConvNet(m, x, 'valid', 1);
  if (/^cifar_conv[246]$/.test(n)) return plainConvNet(m, x, 'same', 2);
  if (n === 'cifar_vgg_16') return vgg(m, x);
  if (/^cifar_(resnet_\d+|wrn_\d+_\d+)$/.test(n)) return resnet(m, x);
  throw new SprigError(
    `model '${n}' cannot be expressed as a TF.js LayersModel (sprig has no layer plan for it)`,
    'export a zoo model (mlp_*, mnist_lenet_300_100, mnist_lenet5, cifar_conv2/4/6, cifar_vgg_16, cifar_resnet_*, cifar_wrn_*) or one read from a model.json',
  );
}

import { unknownName, SprigError } from '../util/errors.js';
import { mlp } from './mlp.js';
import { convN, lenet5, vgg16 } from './convnets.js';
import { resnet } from './resnet.js';
import type { Model } from './types.js';
import { isModelFile, readLayersModel, type ModelInit } from './layers-model.js';

type Shape = [number, number, number];
type Factory = (inputShape: Shape, numClasses: number) => Model;

/** The model zoo, by the names OpenLTH uses. The input shape follows the dataset. */
export const MODELS = {
  mnist_lenet_300_100: (s, k) => mlp('mnist_lenet_300_100', [300, 100], s, k),
  mnist_lenet5: lenet5,
  cifar_conv2: (s, k) => convN(1, s, k),
  cifar_conv4: (s, k) => convN(2, s, k),
  cifar_conv6: (s, k) => convN(3, s, k),
  cifar_resnet_20: (s, k) => resnet('cifar_resnet_20', 3, [16, 32, 64], 16, s, k),
  cifar_resnet_56: (s, k) => resnet('cifar_resnet_56', 9, [16, 32, 64], 16, s, k),
  cifar_resnet_110: (s, k) => resnet('cifar_resnet_110', 18, [16, 32, 64], 16, s, k),
  cifar_wrn_22_2: (s, k) => resnet('cifar_wrn_22_2', 3, [32, 64, 128], 16, s, k),
  cifar_vgg_16: vgg16,
} satisfies Record<string, Factory>;

export type ModelName = keyof typeof MODELS;
export const MODEL_NAMES = [...Object.keys(MODELS), 'mlp_<h1>_<h2>…'] as const;

/** `mlp_512_256` is a configurable MLP with those hidden widths. */
const MLP_NAME = /^mlp((?:_\d+)*)$/;

export function createModel(name: string, inputShape: Shape, numClasses: number): Model {
  const m = MLP_NAME.exec(name);
  if (m) {
    const hidden = m[1]!.split('_').filter(Boolean).map(Number);
    if (hidden.some((h) => h < 1))
      throw new SprigError(`bad MLP width in '${name}'`, 'widths must be ≥ 1, e.g. mlp_300_100');
    return mlp(name, hidden, inputShape, numClasses);
  }
  const factory = (MODELS as Record<string, Factory>)[name];
  if (!factory) throw unknownName('model', name, MODEL_NAMES);
  if (name.startsWith('mnist_lenet5') && inputShape[0] < 12) {
    throw new SprigError(
      `mnist_lenet5 needs inputs of at least 12×12, got ${inputShape[0]}×${inputShape[1]}`,
      'use a larger dataset or an MLP',
    );
  }
  return factory(inputShape, numClasses);
}

export function parameterCount(model: Model): number {
  return model.specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
}

/** A zoo model by name, or a TF.js model.json (a name ending in .json) read as a sprig model. */
export function createModelFrom(
  hp: { name: string; sha256?: string; init?: ModelInit },
  inputShape: Shape,
  numClasses: number,
): Model {
  if (isModelFile(hp.name))
    return readLayersModel(hp.name, inputShape, numClasses, { init: hp.init, sha256: hp.sha256 });
  if (hp.init === 'from-model')
    throw new SprigError('--init from-model needs a model file', 'pass --model path/to/model.json');
  return createModel(hp.name, inputShape, numClasses);
}

/** One runtime layer per Keras layer class that sprig's topology reader accepts (the switch is exhaustive). */
import type { LayerNode } from '../../models/layers-model-topology.js';
import type { Layer } from './layer.js';
import { convLayer, denseLayer, type LayerWeights } from './linear.js';
import {
  activationLayer,
  addLayer,
  batchNormLayer,
  identityLayer,
  reluLayer,
  rescalingLayer,
} from './pointwise.js';
import { flattenLayer, globalAveragePoolLayer, poolLayer } from './spatial.js';
import type { Arena } from './wasm.js';

export function layersOfModel(node: LayerNode, x: number[][], w: LayerWeights, mem: Arena): Layer {
  const { name, config: c } = node;
  const s = x[0]!;
  switch (node.className) {
    case 'InputLayer':
    case 'Dropout': // identity at inference
      return identityLayer(s);
    case 'Rescaling':
      return rescalingLayer(c, s);
    case 'Dense':
      return denseLayer(name, c, s, w, mem);
    case 'Conv2D':
      return convLayer(name, c, s, w, mem);
    case 'BatchNormalization':
      return batchNormLayer(name, c, s, w);
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return poolLayer(name, c, s, node.className === 'MaxPooling2D');
    case 'Flatten':
      return flattenLayer(s);
    case 'GlobalAveragePooling2D':
      return globalAveragePoolLayer(name, s);
    case 'Activation':
      return activationLayer(name, c, s);
    case 'ReLU':
      return reluLayer(c, s);
    case 'Add':
      return addLayer(name, x);
  }
}

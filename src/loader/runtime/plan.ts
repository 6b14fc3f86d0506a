/**
 * A model's forward pass as a list of steps: its TF.js topology (parsed by sprig's own topology
 * reader, which names any layer it cannot read) with one runtime layer per node, weights in place.
 */
import { parseTopology } from '../../models/layers-model-topology.js';
import type { DecodedModel } from '../decode.js';
import { layersOfModel } from './layers.js';
import { unsupported, type Step } from './layer.js';

export type { Step } from './layer.js';
import type { LayerWeights } from './linear.js';
import { fuseIntoInput, inputLayer } from './input.js';
import type { Arena } from './wasm.js';

export interface Plan {
  /** One example's input and output shapes, as the user holds them (NHWC, or flat). */
  inputShape: number[];
  outputShape: number[];
  steps: Step[];
}

/** Weights by layer name, then field: 'fc1/kernel' → fc1 → kernel (TF.js suffixes like '_1' dropped). */
function weightsByLayer(d: DecodedModel): Map<string, LayerWeights> {
  const out = new Map<string, LayerWeights>();
  for (const t of d.tensors) {
    const cut = t.name.lastIndexOf('/');
    const layer = t.name.slice(0, cut).replace(/^.*\//, '');
    if (!out.has(layer)) out.set(layer, new Map());
    out.get(layer)!.set(t.name.slice(cut + 1).replace(/_\d+$/, ''), t);
  }
  return out;
}

/** Plans a decoded model, putting its weights (as CSR where sparse) into `mem`. */
export function planOf(d: DecodedModel, mem: Arena): Plan {
  const t = parseTopology(d.manifest.modelTopology, (cls) => cls === 'Rescaling');
  const weights = weightsByLayer(d);
  const index = new Map<string, number>();
  const steps: Step[] = [];
  const consumers = new Map<number, number>();
  for (const node of t.nodes) {
    const ins = node.className === 'InputLayer' ? [-1] : node.inputs.map((n) => index.get(n)!);
    const shapes = ins.map((i) => (i < 0 ? t.inputShape : steps[i]!.layer.shape));
    const layer =
      node.className === 'InputLayer'
        ? inputLayer(t.inputShape)
        : layersOfModel(node, shapes, weights.get(node.name) ?? new Map(), mem);
    for (const i of ins) consumers.set(i, (consumers.get(i) ?? 0) + 1);
    index.set(node.name, steps.length);
    steps.push({ layer, ins, inPlace: 'inPlace' in layer });
  }
  fuseIntoInput(steps, t.inputShape);
  // a layer may overwrite its input only when it is that input's only reader
  for (const s of steps) s.inPlace = 'inPlace' in s.layer && consumers.get(s.ins[0]!) === 1 && s.ins[0]! >= 0;
  const out = index.get(t.output)!;
  if (out !== steps.length - 1) throw unsupported(t.output, 'a model whose output is not its last layer');
  return { inputShape: t.inputShape, outputShape: steps[out]!.layer.shape, steps };
}

/**
 * A TF.js (Keras JSON) model topology, Sequential or functional, as a list of layer nodes in an order
 * where every node comes after its inputs. Only the layers sprig can train are accepted; anything
 * else fails with the list of unsupported layers and the supported ones.
 */
import { SprigError } from '../util/errors.js';

export const SUPPORTED_LAYERS = [
  'InputLayer',
  'Dense',
  'Conv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'Flatten',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'Add',
  'GlobalAveragePooling2D',
  'Dropout',
] as const;
export type LayerClass = (typeof SUPPORTED_LAYERS)[number] | 'Rescaling';

/** Keras JSON config of one layer (snake_case, as TF.js writes it). */
export type LayerConfig = Record<string, unknown> & { name: string };

export interface LayerNode {
  name: string;
  className: LayerClass;
  config: LayerConfig;
  /** Names of the nodes feeding this one (none for the input). */
  inputs: string[];
}

export interface Topology {
  name: string;
  /** Shape of one example, without the batch axis. */
  inputShape: number[];
  nodes: LayerNode[];
  output: string;
}

interface KerasLayer {
  class_name: string;
  name?: string;
  config: LayerConfig;
  inbound_nodes?: [string, number, number, unknown][][];
}

function bad(msg: string): SprigError {
  return new SprigError(msg, 'pass a TF.js LayersModel model.json (tf.LayersModel.save writes one)');
}

/** Unwraps {modelTopology}, {model_config} and returns {class_name, config}. */
function root(json: Record<string, unknown>): { class_name: string; config: Record<string, unknown> } {
  const t = (json.model_config ?? json) as { class_name?: string; config?: Record<string, unknown> };
  if (!t.class_name || !t.config) throw bad('the model topology has no class_name/config');
  return t as { class_name: string; config: Record<string, unknown> };
}

function checkSupported(layers: KerasLayer[], allowedMarker: (l: KerasLayer) => boolean): void {
  const unsupported = layers.filter(
    (l) => !(SUPPORTED_LAYERS as readonly string[]).includes(l.class_name) && !allowedMarker(l),
  );
  if (unsupported.length)
    throw new SprigError(
      `unsupported layers in the TF.js model: ${unsupported.map((l) => `${l.config?.name ?? l.name} (${l.class_name})`).join(', ')}`,
      `sprig reads models built from ${SUPPORTED_LAYERS.join(', ')}; rebuild the model from these`,
    );
}

const shapeOf = (c: LayerConfig) => {
  const s = (c.batch_input_shape ?? c.batchInputShape) as (number | null)[] | undefined;
  return s?.slice(1) as number[] | undefined;
};

/** Parses a model topology; `isMarker` accepts sprig's own normalisation layer. */
export function parseTopology(
  json: object,
  isMarker: (className: string, name: string) => boolean,
): Topology {
  const t = root(json as Record<string, unknown>);
  const cfg = t.config as { name?: string; layers?: KerasLayer[] } | KerasLayer[];
  const layers = Array.isArray(cfg) ? cfg : (cfg.layers ?? []);
  const name = (!Array.isArray(cfg) && cfg.name) || 'layers_model';
  checkSupported(layers, (l) => isMarker(l.class_name, l.config?.name ?? l.name ?? ''));
  if (t.class_name === 'Sequential') return sequential(name, layers);
  if (t.class_name === 'Model' || t.class_name === 'Functional') return functional(name, t.config, layers);
  throw bad(`unknown model class '${t.class_name}' (expected Sequential or Model)`);
}

function sequential(name: string, layers: KerasLayer[]): Topology {
  const first = layers[0];
  if (!first) throw bad('the Sequential model has no layers');
  const inputShape = shapeOf(first.config);
  if (!inputShape) throw bad('the first layer has no batch_input_shape');
  const nodes: LayerNode[] = [
    { name: 'input', className: 'InputLayer', config: { name: 'input' }, inputs: [] },
  ];
  for (const l of layers) {
    if (l.class_name === 'InputLayer') continue;
    nodes.push({
      name: l.config.name,
      className: l.class_name as LayerClass,
      config: l.config,
      inputs: [nodes.at(-1)!.name],
    });
  }
  return { name, inputShape, nodes, output: nodes.at(-1)!.name };
}

function functional(name: string, config: Record<string, unknown>, layers: KerasLayer[]): Topology {
  const ins = config.input_layers as [string, number, number][];
  const outs = config.output_layers as [string, number, number][];
  if (ins?.length !== 1 || outs?.length !== 1)
    throw bad(
      `sprig reads models with one input and one output (this one has ${ins?.length} and ${outs?.length})`,
    );
  const byName = new Map(layers.map((l) => [l.name ?? l.config.name, l]));
  const input = byName.get(ins[0]![0]);
  const inputShape = input && shapeOf(input.config);
  if (!inputShape) throw bad('the input layer has no batch_input_shape');
  const nodes: LayerNode[] = [];
  const done = new Set<string>();
  const visit = (n: string, path: Set<string>) => {
    if (done.has(n)) return;
    const l = byName.get(n);
    if (!l) throw bad(`layer '${n}' is referenced but not defined`);
    if (path.has(n)) throw bad(`the graph has a cycle through '${n}'`);
    const inbound = l.inbound_nodes ?? [];
    if (inbound.length > 1)
      throw bad(`layer '${n}' is shared (called ${inbound.length} times); sprig reads unshared layers`);
    const inputs = (inbound[0] ?? []).map((ref) => ref[0]);
    for (const i of inputs) visit(i, new Set([...path, n]));
    nodes.push({ name: n, className: l.class_name as LayerClass, config: l.config, inputs });
    done.add(n);
  };
  visit(outs[0]![0], new Set());
  return { name, inputShape, nodes, output: outs[0]![0] };
}

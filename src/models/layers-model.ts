/** Placeholder: the TF.js LayersModel reader (filled in below). */
import type { Model } from './types.js';

const TOPOLOGY = new WeakMap<Model, object>();

/** The TF.js topology a model was read from (undefined for zoo models). */
export function layersTopologyOf(m: Model): object | undefined {
  return TOPOLOGY.get(m);
}

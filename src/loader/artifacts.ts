/**
 * A decoded sparse export as TF.js model artifacts (dense float32 weights): what a LayersModel is
 * loaded from. Imports only TF.js types, so the standalone runtime's TF.js option (runtime/index.ts)
 * can offer it without bundling TF.js.
 */
import type { io } from '@tensorflow/tfjs-core';
import { densify, type DecodedModel } from './decode.js';

/** The decoded model as TF.js model artifacts (dense float32 weights in TF.js's order). */
export function artifactsOf(decoded: DecodedModel): io.ModelArtifacts {
  const { manifest, tensors } = decoded;
  const total = tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  const data = new Float32Array(total);
  let at = 0;
  for (const t of tensors) {
    const d = densify(t);
    data.set(d, at);
    at += d.length;
  }
  return {
    modelTopology: manifest.modelTopology,
    format: 'layers-model',
    generatedBy: 'sprig',
    weightSpecs: tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32' as const })),
    weightData: data.buffer,
    userDefinedMetadata: { sprig: (manifest.metadata ?? {}) as object },
  };
}

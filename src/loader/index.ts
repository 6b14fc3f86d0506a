/**
 * `sprig/loader`: loads a sprig sparse export (`sprig export RUN --format sparse`) as a TF.js
 * LayersModel, in the browser or in Node, without sprig's native addon or any Node-only import.
 * It needs `@tensorflow/tfjs-core` with a backend, and `@tensorflow/tfjs-layers`.
 * To run the model on its sparse weights without TF.js, and in a page without a bundler, use
 * `sprig/runtime` (runtime/index.ts) or its single-file builds.
 *
 * ```ts
 * import '@tensorflow/tfjs-backend-cpu'; // or webgl
 * import { loadSparseModel } from 'sprig/loader';
 * const model = await loadSparseModel('/models/lenet.sprig');
 * const logits = model.predict(pixels01) as tf.Tensor; // pixels in [0, 1], NHWC
 * ```
 *
 * Every file is treated as untrusted: its header, manifest (a schema) and every declared size are
 * checked against the file before anything is allocated, and a load reads or allocates at most
 * `maxBytes` of weights (default 256 MiB), so a hostile file or URL ends in a SparseFormatError.
 * @module
 */
import type { io } from '@tensorflow/tfjs-core';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { decodeSparse, type DecodedModel } from './decode.js';
import { SparseFormatError, type SparseManifest } from './format.js';
import type { SizeLimits } from './sizes.js';
import { artifactsOf } from './artifacts.js';
import { bytesOf, type SparseSource } from './source.js';

export {
  decodeSparse,
  densify,
  parseSparse,
  type DecodedModel,
  type ParsedSparse,
  type SparseTensor,
} from './decode.js';
export { DEFAULT_MAX_BYTES, type SizeLimits } from './sizes.js';
export {
  SparseFormatError,
  FORMAT_VERSION,
  NORMALISATION_LAYER,
  type SparseManifest,
  type TensorEntry,
  type Layout,
  type ValueFormat,
} from './format.js';
export { artifactsOf } from './artifacts.js';
export type { SparseSource } from './source.js';

export interface LoadOptions extends SizeLimits {
  /** What to fetch a URL with (default: the global fetch). */
  fetch?: typeof fetch;
  /** Sees the sparse tensors before they are made dense (e.g. to run them on sparse kernels). */
  onDecoded?: (d: DecodedModel) => void;
  /** Names the file in errors when the source is bytes. */
  name?: string;
}

/**
 * A `tf.io.IOHandler` for a sprig sparse export: `tf.loadLayersModel(sparseHandler(url))`.
 * `onDecoded` sees the sparse tensors before they are made dense (e.g. to run them on sparse kernels).
 */
export function sparseHandler(source: SparseSource, opts: LoadOptions = {}): io.IOHandler {
  const name = opts.name ?? (typeof source === 'string' ? source : 'the sparse export');
  return {
    load: async () => {
      const decoded = decodeSparse(
        await bytesOf(source, opts.fetch ?? globalThis.fetch, opts.maxBytes),
        name,
        opts,
      );
      opts.onDecoded?.(decoded);
      return artifactsOf(decoded);
    },
  };
}

/**
 * Loads a sprig sparse export as a tf.LayersModel that takes pixels in [0, 1] and returns logits.
 * Any file that is not a valid export (TF.js refusing its topology included) is a SparseFormatError.
 */
export async function loadSparseModel(source: SparseSource, opts: LoadOptions = {}): Promise<LayersModel> {
  try {
    return await loadLayersModel(sparseHandler(source, opts));
  } catch (e) {
    if (e instanceof SparseFormatError) throw e;
    const name = opts.name ?? (typeof source === 'string' ? source : 'the sparse export');
    const why = String((e as Error).message)
      .replace(/\s+/g, ' ')
      .replace(/[.\s]+$/, ''); // one line
    throw new SparseFormatError(
      `TF.js cannot build a model from ${name}: ${why}. Re-export it with \`sprig export RUN --format sparse\`.`,
    );
  }
}

/** Just the manifest (format, layouts, value formats, metadata) of a sparse export's bytes, checked. */
export function manifestOf(bytes: Uint8Array, source?: string, limits: SizeLimits = {}): SparseManifest {
  return decodeSparse(bytes, source, limits).manifest;
}

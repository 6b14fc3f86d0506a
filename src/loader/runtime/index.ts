/**
 * `sprig/runtime`: runs a `.sprig` model's forward pass on its compressed weights, with CSR kernels
 * in WebAssembly SIMD, and no TF.js. The same code runs in the browser (also as the single-file
 * bundles dist/loader/sprig-runtime.esm.js and .umd.js) and in Node.
 *
 * ```ts
 * import { loadSprig } from 'sprig/runtime';
 * const model = await loadSprig('/models/lenet.sprig');
 * const logits = model.predict(pixels01); // [batch][28][28][1] in [0, 1] → [batch][10]
 * ```
 * TF.js stays an option: `layersModelOf(tf, source)` gives a tf.LayersModel with the page's own TF.js.
 * @module
 */
import type { io } from '@tensorflow/tfjs-core';
import { artifactsOf } from '../artifacts.js';
import { decodeSparse, type DecodedModel } from '../decode.js';
import { bytesOf, type SparseSource } from '../source.js';
import type { SizeLimits } from '../sizes.js';
import { SparseModel } from './model.js';
import { planOf } from './plan.js';
import { Arena, instantiateKernels } from './wasm.js';

export { SparseModel } from './model.js';
export { decodeSparse, densify, type DecodedModel, type SparseTensor } from '../decode.js';
export { SparseFormatError, FORMAT_VERSION, type SparseManifest } from '../format.js';
export type { SparseSource } from '../source.js';

export interface RuntimeLoadOptions extends SizeLimits {
  /** What to fetch a URL with (default: the global fetch). */
  fetch?: typeof fetch;
  /** Names the file in errors when the source is bytes. */
  name?: string;
}

async function decoded(source: SparseSource, o: RuntimeLoadOptions): Promise<DecodedModel> {
  const name = o.name ?? (typeof source === 'string' ? source : 'the sparse export');
  return decodeSparse(await bytesOf(source, o.fetch ?? globalThis.fetch, o.maxBytes), name, o);
}

/** A decoded model on the sparse kernels (its weights placed once, fp16/int8 values already decoded). */
export async function sparseModelOf(d: DecodedModel): Promise<SparseModel> {
  const k = await instantiateKernels();
  const mem = new Arena(k);
  return new SparseModel(k, mem, planOf(d, mem), d.manifest);
}

/** Loads a `.sprig` file (a URL, or its bytes) onto the sparse runtime. */
export async function loadSprig(source: SparseSource, o: RuntimeLoadOptions = {}): Promise<SparseModel> {
  return sparseModelOf(await decoded(source, o));
}

/** The part of TF.js that `layersModelOf` uses: `tf` from `@tensorflow/tfjs`, or the UMD global. */
export interface TfLayersLike<M> {
  loadLayersModel(handler: io.IOHandler): Promise<M>;
}

/**
 * The TF.js option: a `.sprig` file as a tf.LayersModel (dense weights) on the TF.js the page already
 * has, passed in, so this bundle imports no TF.js and a page needs no bundler or import map.
 */
export async function layersModelOf<M>(
  tf: TfLayersLike<M>,
  source: SparseSource,
  o: RuntimeLoadOptions = {},
): Promise<M> {
  const d = await decoded(source, o);
  return tf.loadLayersModel({ load: async () => artifactsOf(d) });
}

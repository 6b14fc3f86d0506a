/** Where a `.sprig` file comes from: a URL to fetch, or its bytes. Browser-safe: no Node imports. */
import { fetchCapped } from './fetch.js';

/** A URL (fetched), or the file's bytes. */
export type SparseSource = string | ArrayBuffer | Uint8Array;

/** The file's bytes; a URL is fetched with `fetchFn`, refused past `maxBytes` (fetch.ts). */
export async function bytesOf(
  source: SparseSource,
  fetchFn: typeof fetch,
  maxBytes?: number,
): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  return fetchCapped(source, fetchFn, maxBytes);
}

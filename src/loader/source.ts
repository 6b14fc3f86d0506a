/** Where a `.sprig` file comes from: a URL to fetch, or its bytes. Browser-safe: no Node imports. */
import { SparseFormatError } from './format.js';

/** A URL (fetched), or the file's bytes. */
export type SparseSource = string | ArrayBuffer | Uint8Array;

/** The file's bytes; a URL is fetched with `fetchFn`, and a failed fetch names the URL and status. */
export async function bytesOf(source: SparseSource, fetchFn: typeof fetch): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const r = await fetchFn(source);
  if (!r.ok) throw new SparseFormatError(`cannot fetch ${source}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

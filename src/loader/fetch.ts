/**
 * Fetching a sparse file from a URL that may serve anything: a declared Content-Length over the
 * limit is refused before reading, and a body is read only up to the limit. Browser-safe.
 */
import { HEADER_BYTES, MAX_MANIFEST_BYTES, SparseFormatError } from './format.js';
import { DEFAULT_MAX_BYTES } from './sizes.js';

const tooBig = (url: string, bytes: string, cap: number) =>
  new SparseFormatError(
    `${url} is refused: it is ${bytes} bytes, over the loader's limit of ${cap} for a file (maxBytes plus the header and manifest). If you trust it, load it with a larger maxBytes option.`,
  );

async function readCapped(body: ReadableStream<Uint8Array>, url: string, cap: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > cap) {
      await reader.cancel();
      throw tooBig(url, `over ${cap}`, cap);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  chunks.reduce((at, c) => (out.set(c, at), at + c.length), 0);
  return out;
}

/** The bytes at `url`, at most maxBytes of payload plus the largest header and manifest. */
export async function fetchCapped(url: string, fetchFn: typeof fetch, maxBytes = DEFAULT_MAX_BYTES) {
  const cap = maxBytes + HEADER_BYTES + MAX_MANIFEST_BYTES;
  let r: Response;
  try {
    r = await fetchFn(url);
  } catch (e) {
    throw new SparseFormatError(
      `cannot fetch ${url}: ${(e as Error).message}. Check the URL, and that its server lets this page read it (CORS).`,
    );
  }
  if (!r.ok) throw new SparseFormatError(`cannot fetch ${url}: HTTP ${r.status}. Check the URL.`);
  const declared = Number(r.headers.get('content-length') ?? NaN);
  if (declared > cap) {
    await r.body?.cancel();
    throw tooBig(url, String(declared), cap);
  }
  if (!r.body) return new Uint8Array(await r.arrayBuffer());
  return readCapped(r.body, url, cap);
}

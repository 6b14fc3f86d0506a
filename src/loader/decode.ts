/** Decoder of sprig's sparse format (layout in format.ts). Browser-safe: no Node imports. */
import type { z } from 'zod/mini';
import {
  FORMAT_VERSION,
  HEADER_BYTES,
  MAGIC,
  MANIFEST_SCHEMA,
  MAX_MANIFEST_BYTES,
  SparseFormatError,
  crc32,
  fromHalf,
  type SparseManifest,
  type TensorEntry,
} from './format.js';
import { elementsOf, limitProblem, sizeProblem, type SizeLimits } from './sizes.js';

/** One weight tensor as stored: which elements are non-zero and their values (the native-kernel hook's input). */
export interface SparseTensor {
  name: string;
  shape: number[];
  /** Flat indices of the stored elements, ascending (all of them for a dense tensor). */
  indices: Int32Array;
  values: Float32Array;
  dense: boolean;
  /** int8 tensors: their scales (one, or one per output channel). */
  scales?: Float32Array;
}

export interface DecodedModel {
  manifest: SparseManifest;
  tensors: SparseTensor[];
}

function bad(what: string, source: string): SparseFormatError {
  return new SparseFormatError(
    `${source} is not a valid sprig sparse export: ${what}. Re-export it with \`sprig export RUN --format sparse\` (or copy it again in full).`,
  );
}

/** A file's manifest and payload, every declared size checked: what the decoders start from. */
export interface ParsedSparse {
  manifest: SparseManifest;
  payload: Uint8Array;
}

function schemaProblems(e: z.core.$ZodError): string {
  const where = (path: PropertyKey[]) =>
    path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('') || 'it';
  const got = (i: z.core.$ZodIssue) =>
    i.input === undefined ? '' : ` (got ${JSON.stringify(i.input)?.slice(0, 40)})`;
  const shown = e.issues.slice(0, 3).map((i) => `${where(i.path)}: ${i.message}${got(i)}`);
  return shown.join('; ') + (e.issues.length > 3 ? `; and ${e.issues.length - 3} more` : '');
}

function parseManifest(json: Uint8Array, source: string): SparseManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    throw bad(`its manifest is not JSON (${(e as Error).message})`, source);
  }
  const r = MANIFEST_SCHEMA.safeParse(raw, { reportInput: true });
  if (!r.success) throw bad(`its manifest does not fit the format: ${schemaProblems(r.error)}`, source);
  return r.data;
}

/** Header, manifest and payload of a file, its declared sizes checked against it and against the limit. */
export function parseSparse(bytes: Uint8Array, source = 'the file', limits: SizeLimits = {}): ParsedSparse {
  if (bytes.length < HEADER_BYTES) throw bad(`only ${bytes.length} bytes (truncated)`, source);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== MAGIC) throw bad(`it does not start with '${MAGIC}' (wrong file?)`, source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION)
    throw new SparseFormatError(
      `${source} has format version ${version}; this loader reads version ${FORMAT_VERSION}. Use the sprig version that wrote it.`,
    );
  const jsonLen = view.getUint32(8, true);
  const payloadLen = view.getUint32(12, true);
  if (jsonLen > MAX_MANIFEST_BYTES)
    throw bad(`its manifest declares ${jsonLen} bytes (at most ${MAX_MANIFEST_BYTES})`, source);
  const expected = HEADER_BYTES + jsonLen + payloadLen;
  if (bytes.length < expected) throw bad(`truncated: ${bytes.length} of ${expected} bytes`, source);
  if (bytes.length > expected) throw bad(`${bytes.length - expected} bytes after its end`, source);
  const json = bytes.subarray(HEADER_BYTES, HEADER_BYTES + jsonLen);
  if (crc32(json) !== view.getUint32(16, true)) throw bad('its manifest is corrupted (CRC mismatch)', source);
  const manifest = parseManifest(json, source);
  const payload = bytes.subarray(HEADER_BYTES + jsonLen);
  if (crc32(payload) !== manifest.payloadCrc32) throw bad('its weights are corrupted (CRC mismatch)', source);
  const over = limitProblem(manifest, payload.length, limits);
  if (over)
    throw new SparseFormatError(
      `${source} is refused: ${over}. If you trust the file, load it with a larger maxBytes option.`,
    );
  const problem = sizeProblem(manifest, payload.length);
  if (problem) throw bad(problem, source);
  return { manifest, payload };
}

/** Flat indices of a tensor's stored elements, ascending, each below n; a bad position list is an error. */
function positions(e: TensorEntry, p: Uint8Array, n: number, source: string): Int32Array {
  const out = new Int32Array(e.nnz);
  const wrong = (why: string) => bad(`tensor ${e.name}'s positions ${why}`, source);
  let j = 0;
  if (e.layout === 'dense') for (; j < n; j++) out[j] = j;
  else if (e.layout === 'bitmask') {
    for (let i = 0; i < n; i++)
      if (p[i >>> 3]! & (1 << (i & 7))) {
        if (j === e.nnz) throw wrong(`mark more than its ${e.nnz} stored elements`);
        out[j++] = i;
      }
    if (n % 8 && p[p.length - 1]! >>> (n % 8)) throw wrong('mark bits past its end');
  } else {
    let at = -1;
    for (let k = 0; k < p.length; k++) {
      at += p[k]!;
      if (p[k] === 255) continue;
      if (++at >= n) throw wrong(`reach element ${at} of its ${n}`);
      if (j === e.nnz) throw wrong(`mark more than its ${e.nnz} stored elements`);
      out[j++] = at;
    }
    if (p.length && p[p.length - 1] === 255) throw wrong('end inside a long gap');
  }
  if (j !== e.nnz) throw wrong(`mark ${j} elements where ${e.nnz} are stored`);
  return out;
}

function values(e: TensorEntry, v: Uint8Array, idx: Int32Array, s: Float32Array): Float32Array {
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const out = new Float32Array(e.nnz);
  for (let j = 0; j < e.nnz; j++) {
    if (e.values === 'fp32') out[j] = view.getFloat32(j * 4, true);
    else if (e.values === 'fp16') out[j] = fromHalf(view.getUint16(j * 2, true));
    else out[j] = view.getInt8(j) * s[s.length === 1 ? 0 : idx[j]! % s.length]!;
  }
  return out;
}

/** Scales of an int8 tensor; one that is not a finite number would make every weight NaN or infinite. */
function scalesOf(e: TensorEntry, bytes: Uint8Array, source: string): Float32Array {
  const scales = new Float32Array(e.scaleCount ?? 0);
  new Uint8Array(scales.buffer).set(bytes);
  if (!scales.every(Number.isFinite))
    throw bad(`tensor ${e.name} has a scale that is not a finite number`, source);
  return scales;
}

/**
 * Checks and decodes a whole file; `source` names it in errors. Every size is checked before
 * anything is allocated, and the model may take at most `limits.maxBytes` as dense fp32.
 */
export function decodeSparse(bytes: Uint8Array, source = 'the file', limits: SizeLimits = {}): DecodedModel {
  const { manifest, payload } = parseSparse(bytes, source, limits);
  const tensors = manifest.weights.map((e) => {
    const scaleAt = e.offset + e.positionBytes;
    const start = scaleAt + 4 * (e.scaleCount ?? 0);
    const idx = positions(e, payload.subarray(e.offset, scaleAt), elementsOf(e.shape), source);
    const scales = scalesOf(e, payload.subarray(scaleAt, start), source);
    return {
      name: e.name,
      shape: e.shape,
      indices: idx,
      values: values(e, payload.subarray(start, start + e.valueBytes), idx, scales),
      dense: e.layout === 'dense',
      ...(e.scaleCount ? { scales } : {}),
    };
  });
  return { manifest, tensors };
}

/** A decoded tensor scattered into a dense Float32Array. */
export function densify(t: SparseTensor): Float32Array {
  if (t.dense) return t.values;
  const out = new Float32Array(elementsOf(t.shape));
  t.indices.forEach((i, j) => (out[i] = t.values[j]!));
  return out;
}

/** Decoder of sprig's sparse format (layout in format.ts). Browser-safe: no Node imports. */
import {
  FORMAT_VERSION,
  HEADER_BYTES,
  MAGIC,
  SparseFormatError,
  crc32,
  fromHalf,
  type SparseManifest,
  type TensorEntry,
} from './format.js';

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

function readManifest(bytes: Uint8Array, source: string): { manifest: SparseManifest; payload: Uint8Array } {
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
  const expected = HEADER_BYTES + jsonLen + payloadLen;
  if (bytes.length < expected) throw bad(`truncated: ${bytes.length} of ${expected} bytes`, source);
  if (bytes.length > expected) throw bad(`${bytes.length - expected} bytes after its end`, source);
  const json = bytes.subarray(HEADER_BYTES, HEADER_BYTES + jsonLen);
  if (crc32(json) !== view.getUint32(16, true)) throw bad('its manifest is corrupted (CRC mismatch)', source);
  const manifest = JSON.parse(new TextDecoder().decode(json)) as SparseManifest;
  const payload = bytes.subarray(HEADER_BYTES + jsonLen);
  if (crc32(payload) !== manifest.payloadCrc32) throw bad('its weights are corrupted (CRC mismatch)', source);
  return { manifest, payload };
}

function positions(e: TensorEntry, p: Uint8Array, n: number, source: string): Int32Array {
  if (e.layout === 'dense') return Int32Array.from({ length: n }, (_, i) => i);
  const out = new Int32Array(e.nnz);
  let j = 0;
  if (e.layout === 'bitmask') {
    for (let i = 0; i < n && j < e.nnz; i++) if (p[i >>> 3]! & (1 << (i & 7))) out[j++] = i;
  } else {
    let at = -1;
    for (let k = 0; k < p.length; k++) {
      at += p[k]!;
      if (p[k] !== 255) out[j++] = ++at;
    }
  }
  if (j !== e.nnz || (e.nnz && out[e.nnz - 1]! >= n))
    throw bad(`tensor ${e.name}'s positions do not add up`, source);
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

/** Checks and decodes a whole file; `source` names it in errors. */
export function decodeSparse(bytes: Uint8Array, source = 'the file'): DecodedModel {
  const { manifest, payload } = readManifest(bytes, source);
  const tensors = manifest.weights.map((e) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const scaleAt = e.offset + e.positionBytes;
    const start = scaleAt + 4 * (e.scaleCount ?? 0);
    if (start + e.valueBytes > payload.length) throw bad(`tensor ${e.name} runs past the payload`, source);
    const idx = positions(e, payload.subarray(e.offset, scaleAt), n, source);
    const scales = new Float32Array(e.scaleCount ?? 0);
    new Uint8Array(scales.buffer).set(payload.subarray(scaleAt, start));
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
  const out = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
  t.indices.forEach((i, j) => (out[i] = t.values[j]!));
  return out;
}

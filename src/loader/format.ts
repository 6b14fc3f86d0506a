/**
 * sprig's compact sparse format, version 1 (one file, `.sprig`). Browser-safe: no Node imports.
 *
 *   header   20 bytes, little-endian: magic 'SPRS', u32 version, u32 manifest bytes,
 *            u32 payload bytes, u32 CRC-32 of the manifest bytes
 *   manifest UTF-8 JSON (SparseManifest): the TF.js model topology and one entry per weight tensor
 *   payload  per tensor, its positions (bit mask or index gaps; none when dense), its int8 scales
 *            (fp32), then its values
 *
 * Positions: a bit mask has bit i (LSB first) set when element i is stored; index gaps store, for each
 * stored element, the zeros skipped since the previous one as bytes, where 255 means "skip 255 more
 * and read on". Values are fp32, fp16 (IEEE half) or int8 times a scale (one per tensor, or one per
 * output channel = last axis). The exporter picks the cheaper layout per tensor.
 *
 * What a valid file must hold beyond this (sizes that add up, limits) is checked in sizes.ts, before
 * anything is allocated; the manifest's shape is MANIFEST_SCHEMA below.
 */
// zod/mini by name: tree-shaken, so the browser bundles stay small (`z` or full zod adds ~90 KB gzipped).
import {
  array,
  config,
  enum as oneOf,
  int,
  literal,
  maximum,
  maxLength,
  minLength,
  nonnegative,
  object,
  optional,
  positive,
  record,
  string,
  unknown,
  type ZodMiniType,
} from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export const MAGIC = 'SPRS';
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 20;
/** Name of the Rescaling layer sprig puts in front of exported models: (x − mean)/std. */
export const NORMALISATION_LAYER = 'sprig_input_normalization';

export const LAYOUTS = ['dense', 'bitmask', 'gaps'] as const;
export type Layout = (typeof LAYOUTS)[number];
export const VALUE_FORMATS = ['fp32', 'fp16', 'int8'] as const;
export type ValueFormat = (typeof VALUE_FORMATS)[number];
/** The manifest's JSON may take this much (a thousand-layer topology takes under 1 MiB). */
export const MAX_MANIFEST_BYTES = 16 * 2 ** 20;
/** Most axes a tensor may have (TF.js's own kernels stop at 6). */
export const MAX_RANK = 8;

export interface TensorEntry {
  /** TF.js weight name, e.g. 'fc1/kernel'. */
  name: string;
  shape: number[];
  layout: Layout;
  values: ValueFormat;
  /** Stored elements (all of them when dense). */
  nnz: number;
  /** int8 only: how many fp32 scales follow the positions (1: per tensor; the last axis: per channel). */
  scaleCount?: number;
  /** Byte offset of this tensor's positions in the payload; its scales, then values follow them. */
  offset: number;
  positionBytes: number;
  valueBytes: number;
}

export interface SparseManifest {
  format: 'sprig-sparse';
  version: number;
  /** The TF.js LayersModel topology (what model.json's `modelTopology` holds). */
  modelTopology: object;
  /** In the order TF.js lists the model's weights. */
  weights: TensorEntry[];
  payloadCrc32: number;
  /** Where the model came from (run id, dataset, accuracy, normalisation); informational. */
  metadata?: Record<string, unknown>;
}

const count = int().check(nonnegative());
const tensorEntrySchema = object({
  name: string().check(minLength(1)),
  shape: array(count).check(maxLength(MAX_RANK)),
  layout: oneOf(LAYOUTS),
  values: oneOf(VALUE_FORMATS),
  nnz: count,
  scaleCount: optional(int().check(positive())),
  offset: count,
  positionBytes: count,
  valueBytes: count,
});

/** The manifest's shape: layouts and value formats from the closed lists above, sizes whole numbers. */
export const MANIFEST_SCHEMA: ZodMiniType<SparseManifest> = object({
  format: literal('sprig-sparse'),
  version: literal(FORMAT_VERSION),
  modelTopology: record(string(), unknown()),
  weights: array(tensorEntrySchema),
  payloadCrc32: int().check(nonnegative(), maximum(0xffffffff)),
  metadata: optional(record(string(), unknown())),
});

/** A loader error: what is wrong with which file, and what to do. */
export class SparseFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SparseFormatError';
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3), to tell a corrupted file from a valid one. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A file: the header (magic, version, sizes, the manifest's CRC), the manifest text, the payload. */
export function frame(manifestText: string, payload: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(manifestText);
  const out = new Uint8Array(HEADER_BYTES + json.length + payload.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, json.length, true);
  view.setUint32(12, payload.length, true);
  view.setUint32(16, crc32(json), true);
  out.set(json, HEADER_BYTES);
  out.set(payload, HEADER_BYTES + json.length);
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bits, rounding to nearest even (overflow → ±inf, tiny → subnormal/0). */
export function toHalf(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // a carry rounds up into the exponent (→ inf at the top)
  return sign | h;
}

/** IEEE half bits → number. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

export const valueBytes = (v: ValueFormat) => (v === 'fp32' ? 4 : v === 'fp16' ? 2 : 1);

/** Bytes the index-gap layout takes for these stored positions (ascending). */
export function gapBytes(positions: ArrayLike<number>): number {
  let bytes = 0;
  let prev = -1;
  for (let i = 0; i < positions.length; i++) {
    const gap = positions[i]! - prev - 1;
    bytes += 1 + Math.floor(gap / 255);
    prev = positions[i]!;
  }
  return bytes;
}

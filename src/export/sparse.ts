/**
 * Encoder of sprig's compact sparse format (the layout is described in src/loader/format.ts):
 * per tensor the cheapest of dense, bit mask and index gaps; values fp32, fp16 or int8.
 */
import {
  FORMAT_VERSION,
  frame,
  crc32,
  gapBytes,
  toHalf,
  valueBytes,
  type Layout,
  type SparseManifest,
  type TensorEntry,
  type ValueFormat,
} from '../loader/format.js';
import type { io } from '@tensorflow/tfjs-core';
import type { Model } from '../models/types.js';

export type Int8Scale = 'channel' | 'tensor';

export interface SparseTensorInput {
  name: string;
  shape: number[];
  values: Float32Array;
  /** Prunable weights take the chosen value format; the rest (biases, BN) stay fp32 and dense. */
  prunable: boolean;
}

export interface EncodeOptions {
  values: ValueFormat;
  int8Scale: Int8Scale;
  modelTopology: object;
  metadata?: Record<string, unknown>;
}

interface Encoded {
  entry: Omit<TensorEntry, 'offset'>;
  bytes: Uint8Array;
}

function positionsOf(v: Float32Array): Int32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) n++;
  const pos = new Int32Array(n);
  for (let i = 0, j = 0; i < v.length; i++) if (v[i] !== 0) pos[j++] = i;
  return pos;
}

/** The cheapest layout for these positions: bytes of positions plus values. */
function chooseLayout(n: number, pos: Int32Array, vb: number): Layout {
  const cost = {
    dense: n * vb,
    bitmask: Math.ceil(n / 8) + pos.length * vb,
    gaps: gapBytes(pos) + pos.length * vb,
  };
  return (Object.keys(cost) as Layout[]).reduce((a, b) => (cost[b] < cost[a] ? b : a));
}

function encodePositions(layout: Layout, n: number, pos: Int32Array): Uint8Array {
  if (layout === 'dense') return new Uint8Array(0);
  if (layout === 'bitmask') {
    const bits = new Uint8Array(Math.ceil(n / 8));
    for (const p of pos) bits[p >>> 3]! |= 1 << (p & 7);
    return bits;
  }
  const out = new Uint8Array(gapBytes(pos));
  let k = 0;
  let prev = -1;
  for (const p of pos) {
    let gap = p - prev - 1;
    for (; gap >= 255; gap -= 255) out[k++] = 255;
    out[k++] = gap;
    prev = p;
  }
  return out;
}

/** Symmetric int8 scales: max |w| / 127 per output channel (last axis) or per tensor. */
function int8Scales(v: Float32Array, channels: number): number[] {
  const max = new Float64Array(channels);
  for (let i = 0; i < v.length; i++) max[i % channels] = Math.max(max[i % channels]!, Math.abs(v[i]!));
  return [...max].map((m) => (m > 0 ? Math.fround(m / 127) : 1));
}

function encodeValues(fmt: ValueFormat, stored: Float32Array, idx: Int32Array, scales: number[]): Uint8Array {
  const out = new Uint8Array(stored.length * valueBytes(fmt));
  const view = new DataView(out.buffer);
  for (let j = 0; j < stored.length; j++) {
    const x = stored[j]!;
    if (fmt === 'fp32') view.setFloat32(j * 4, x, true);
    else if (fmt === 'fp16') view.setUint16(j * 2, toHalf(x), true);
    else {
      const s = scales[scales.length === 1 ? 0 : idx[j]! % scales.length]!;
      view.setInt8(j, Math.max(-127, Math.min(127, Math.round(x / s))));
    }
  }
  return out;
}

function encodeTensor(t: SparseTensorInput, o: EncodeOptions): Encoded {
  const n = t.values.length;
  const fmt: ValueFormat = t.prunable ? o.values : 'fp32';
  const nonzero = positionsOf(t.values);
  const layout: Layout = t.prunable ? chooseLayout(n, nonzero, valueBytes(fmt)) : 'dense';
  const idx = layout === 'dense' ? Int32Array.from({ length: n }, (_, i) => i) : nonzero;
  const stored = layout === 'dense' ? t.values : Float32Array.from(idx, (i) => t.values[i]!);
  const scales =
    fmt === 'int8' ? int8Scales(t.values, o.int8Scale === 'channel' ? t.shape.at(-1)! : 1) : undefined;
  const positions = encodePositions(layout, n, nonzero);
  const scaleBytes = new Uint8Array(Float32Array.from(scales ?? []).buffer);
  const values = encodeValues(fmt, stored, idx, scales ?? []);
  const bytes = new Uint8Array(positions.length + scaleBytes.length + values.length);
  bytes.set(positions);
  bytes.set(scaleBytes, positions.length);
  bytes.set(values, positions.length + scaleBytes.length);
  return {
    entry: {
      name: t.name,
      shape: t.shape,
      layout,
      values: fmt,
      nnz: stored.length,
      ...(scales ? { scaleCount: scales.length } : {}),
      positionBytes: positions.length,
      valueBytes: values.length,
    },
    bytes,
  };
}

/** The whole file: header, manifest, payload. */
export function encodeSparse(tensors: SparseTensorInput[], o: EncodeOptions): Uint8Array {
  const parts = tensors.map((t) => encodeTensor(t, o));
  let offset = 0;
  const weights: TensorEntry[] = parts.map((p) => {
    const e = { ...p.entry, offset };
    offset += p.bytes.length;
    return e;
  });
  const payload = new Uint8Array(offset);
  parts.forEach((p, i) => payload.set(p.bytes, weights[i]!.offset));
  const manifest: SparseManifest = {
    format: 'sprig-sparse',
    version: FORMAT_VERSION,
    modelTopology: o.modelTopology,
    weights,
    payloadCrc32: crc32(payload),
    ...(o.metadata ? { metadata: o.metadata } : {}),
  };
  return frame(JSON.stringify(manifest), payload);
}

/**
 * A model's TF.js artifacts as a sparse file: kernels of prunable layers take the chosen value
 * format and the cheapest layout; every other tensor stays dense fp32.
 */
export function sparseExportOf(model: Model, a: io.ModelArtifacts, o: SparseExportOptions): Uint8Array {
  const prunable = new Set(model.specs.filter((s) => s.prunable).map((s) => s.name.replace(/\.weight$/, '')));
  return sparseExportOfLayers(prunable, a, o);
}

export interface SparseExportOptions {
  values: ValueFormat;
  int8Scale: Int8Scale;
  metadata?: Record<string, unknown>;
}

/** Whether a TF.js weight is the kernel of a layer named in `prunable` ('fc1/kernel' of 'fc1'). */
export function isPrunableKernel(prunable: Set<string>, weightName: string): boolean {
  const layer = weightName.slice(0, weightName.lastIndexOf('/')).replace(/^.*\//, '');
  return weightName.endsWith('/kernel') && prunable.has(layer);
}

/** As sparseExportOf, for the kernels of the layers named in `prunable` (a TF.js model's own layers). */
export function sparseExportOfLayers(
  prunable: Set<string>,
  a: io.ModelArtifacts,
  o: SparseExportOptions,
): Uint8Array {
  const d = a.weightData!;
  const data = Array.isArray(d) ? new Uint8Array(d.reduce((x, y) => x + y.byteLength, 0)) : new Uint8Array(d);
  if (Array.isArray(d)) d.reduce((at, b) => (data.set(new Uint8Array(b), at), at + b.byteLength), 0);
  let at = 0;
  const tensors = a.weightSpecs!.map((spec) => {
    const size = spec.shape.reduce((x, y) => x * y, 1);
    const values = new Float32Array(data.buffer, at * 4, size);
    at += size;
    return {
      name: spec.name,
      shape: spec.shape,
      values,
      prunable: isPrunableKernel(prunable, spec.name),
    };
  });
  return encodeSparse(tensors, { ...o, modelTopology: a.modelTopology as object });
}

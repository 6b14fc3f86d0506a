/**
 * Binary masks over prunable weights: a 1/0 Float32Array per prunable parameter, same length and
 * row-major layout as the weight. Biases and batch-norm parameters have no mask (they stay dense).
 */
import { createHash } from 'node:crypto';
import type { ParamSpec } from '../models/types.js';
import { SprigError } from '../util/errors.js';
import { cloneArrays } from '../util/arrays.js';

/** Parameter name → 1/0 mask of the weight's size. */
export type Masks = Map<string, Float32Array>;

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The specs that carry a mask, in model order. */
export function prunableSpecs(specs: readonly ParamSpec[]): ParamSpec[] {
  return specs.filter((s) => s.prunable);
}

/**
 * Active (kept) count of a layer of n weights at a density: round(d·n). One rounding rule used by
 * every function in this folder so that distributions, random masks and top-k agree exactly.
 */
export function activeCount(n: number, density: number): number {
  // the 1e-9 guards against 0.1*n = x.999999 style float error before rounding
  return Math.min(n, Math.max(0, Math.round(density * n + 1e-9 * Math.sign(density))));
}

/** All-ones masks for every prunable spec. */
export function denseMasks(specs: readonly ParamSpec[]): Masks {
  const m: Masks = new Map();
  for (const s of prunableSpecs(specs)) m.set(s.name, new Float32Array(sizeOf(s.shape)).fill(1));
  return m;
}

/** Deep copy of masks. */
export function cloneMasks(masks: Masks): Masks {
  return cloneArrays(masks);
}

/** Number of ones in a mask. */
export function countActive(mask: Float32Array): number {
  let c = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) c++;
  return c;
}

/** Fraction of ones in a mask (1 for an empty mask). */
export function density(mask: Float32Array): number {
  return mask.length === 0 ? 1 : countActive(mask) / mask.length;
}

/** Per-layer density of each mask. */
export function maskDensities(masks: Masks): Map<string, number> {
  const d = new Map<string, number>();
  for (const [k, v] of masks) d.set(k, density(v));
  return d;
}

/** weights ⊙ masks, in place (weights without a mask are left alone). Returns the same map. */
export function applyMasks(weights: Map<string, Float32Array>, masks: Masks): Map<string, Float32Array> {
  for (const [name, mask] of masks) {
    const w = weights.get(name);
    if (!w) continue;
    if (w.length !== mask.length) {
      throw new SprigError(
        `mask for '${name}' has ${mask.length} entries but the weight has ${w.length}`,
        'build masks from the same model specs as the weights',
      );
    }
    for (let i = 0; i < w.length; i++) if (mask[i] === 0) w[i] = 0;
  }
  return weights;
}

/**
 * Checks masks against specs: one mask per prunable spec, right size, only 0/1 values.
 * Throws SprigError naming the first offending layer.
 */
export function checkMasks(specs: readonly ParamSpec[], masks: Masks): void {
  const known = new Set(prunableSpecs(specs).map((s) => s.name));
  for (const name of masks.keys()) {
    if (!known.has(name)) {
      throw new SprigError(
        `mask for '${name}', which is not a prunable weight of this model`,
        `use one of: ${[...known].join(', ')}`,
      );
    }
  }
  for (const s of prunableSpecs(specs)) {
    const m = masks.get(s.name);
    if (!m)
      throw new SprigError(
        `no mask for prunable weight '${s.name}'`,
        'start from denseMasks(specs) and prune from there',
      );
    const n = sizeOf(s.shape);
    if (m.length !== n)
      throw new SprigError(
        `mask for '${s.name}' has ${m.length} entries, expected ${n} (shape [${s.shape.join(', ')}])`,
        'build masks from the same model specs',
      );
    for (let i = 0; i < m.length; i++) {
      if (m[i] !== 0 && m[i] !== 1)
        throw new SprigError(
          `mask for '${s.name}' holds ${m[i]} at index ${i}; masks are 0/1`,
          'threshold scores with maskFromScores() instead of storing them as masks',
        );
    }
  }
}

export interface LayerReport {
  name: string;
  shape: number[];
  total: number;
  active: number;
  density: number;
}

export interface SparsityReport {
  /** Prunable weights only, in model order. */
  layers: LayerReport[];
  /** Totals over prunable weights. */
  total: number;
  active: number;
  density: number;
  /** Totals over every parameter: biases, batch-norm and unmasked weights count as fully active. */
  all: { total: number; active: number; density: number };
}

/**
 * Per-layer and total density. A prunable spec with no mask counts as dense, so the report of an
 * unpruned model is well defined.
 */
export function sparsityReport(specs: readonly ParamSpec[], masks: Masks): SparsityReport {
  const layers: LayerReport[] = [];
  let total = 0;
  let active = 0;
  let allTotal = 0;
  let allActive = 0;
  for (const s of specs) {
    const n = sizeOf(s.shape);
    const m = s.prunable ? masks.get(s.name) : undefined;
    const a = m ? countActive(m) : n;
    allTotal += n;
    allActive += a;
    if (!s.prunable) continue;
    layers.push({ name: s.name, shape: [...s.shape], total: n, active: a, density: n ? a / n : 1 });
    total += n;
    active += a;
  }
  return {
    layers,
    total,
    active,
    density: total ? active / total : 1,
    all: { total: allTotal, active: allActive, density: allTotal ? allActive / allTotal : 1 },
  };
}

// ---- compact serialisation: bit-packed, LSB first ----

/** Packs a 0/1 mask into ceil(n/8) bytes, bit i of the mask at byte i>>3, bit i&7. */
export function packMask(mask: Float32Array): Uint8Array {
  const out = new Uint8Array((mask.length + 7) >> 3);
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

/** Inverse of packMask for a mask of n entries. */
export function unpackMask(bytes: Uint8Array, n: number): Float32Array {
  if (bytes.length < (n + 7) >> 3)
    throw new SprigError(
      `packed mask has ${bytes.length} bytes, ${(n + 7) >> 3} needed for ${n} entries`,
      'the mask file is truncated: re-create it',
    );
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = (bytes[i >> 3]! >> (i & 7)) & 1;
  return m;
}

const MAGIC = [0x53, 0x50, 0x4d, 0x4b]; // 'SPMK'
const VERSION = 1;

/**
 * Masks → bytes: 'SPMK', u8 version, u32 LE header length, JSON header [{name, size}], then each
 * mask bit-packed (packMask) in header order. ~1 bit per weight, used by checkpoints and export.
 */
export function serialiseMasks(masks: Masks): Uint8Array {
  const header = [...masks].map(([name, m]) => ({ name, size: m.length }));
  const hbytes = new TextEncoder().encode(JSON.stringify(header));
  const packed = [...masks.values()].map(packMask);
  const bodyLen = packed.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(4 + 1 + 4 + hbytes.length + bodyLen);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  new DataView(out.buffer).setUint32(5, hbytes.length, true);
  out.set(hbytes, 9);
  let off = 9 + hbytes.length;
  for (const p of packed) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** SHA-256 (hex) of the serialised masks: a fingerprint that tells whether two runs share a mask. */
export function maskSha256(masks: Masks): string {
  return createHash('sha256').update(serialiseMasks(masks)).digest('hex');
}

/** Bytes from serialiseMasks → Masks (same names, order and values). */
export function deserialiseMasks(bytes: Uint8Array): Masks {
  const bad = (why: string) =>
    new SprigError(`not a sprig mask file: ${why}`, 'pass the masks file written by sprig (serialiseMasks)');
  if (bytes.length < 9 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('missing SPMK header');
  if (bytes[4] !== VERSION) throw bad(`version ${bytes[4]}, this sprig reads version ${VERSION}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = dv.getUint32(5, true);
  if (9 + hlen > bytes.length) throw bad('truncated header');
  let header: { name: string; size: number }[];
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(9, 9 + hlen))) as {
      name: string;
      size: number;
    }[];
  } catch {
    throw bad('unreadable header');
  }
  const masks: Masks = new Map();
  let off = 9 + hlen;
  for (const { name, size } of header) {
    const nb = (size + 7) >> 3;
    if (off + nb > bytes.length) throw bad(`truncated data for '${name}'`);
    masks.set(name, unpackMask(bytes.subarray(off, off + nb), size));
    off += nb;
  }
  return masks;
}

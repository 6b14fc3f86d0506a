/**
 * TF.js's own weight quantisation in a LayersModel export: the weights manifest entry carries
 * `quantization: {dtype, min, scale}` as the TF.js converter writes it (`--quantize_uint8`,
 * `--quantize_float16`), so a plain tf.loadLayersModel dequantises it, no sprig loader needed.
 * Only the prunable kernels are quantised; biases and batch-norm statistics stay fp32, as in the
 * sparse format.
 */
import type { tf } from '../engine/index.js';
import { toHalf } from '../loader/format.js';
import { isPrunableKernel } from './sparse.js';
import type { TfjsQuantize } from './formats.js';

type Spec = tf.io.WeightsManifestEntry;

/** The specs and bytes of `data` (fp32, in spec order) with the prunable kernels quantised. */
export function quantizeWeights(
  specs: Spec[],
  data: ArrayBuffer,
  prunable: Set<string>,
  dtype: TfjsQuantize,
): { specs: Spec[]; data: ArrayBuffer } {
  const parts: Uint8Array[] = [];
  const out: Spec[] = [];
  let at = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((x, y) => x * y, 1);
    const values = new Float32Array(data, at, size);
    at += size * 4;
    if (spec.dtype !== 'float32' || !isPrunableKernel(prunable, spec.name)) {
      parts.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      out.push(spec);
      continue;
    }
    const q = dtype === 'uint8' ? toUint8(values) : toFloat16(values);
    parts.push(q.bytes);
    out.push({ ...spec, quantization: q.quantization });
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  parts.reduce((o, p) => (bytes.set(p, o), o + p.byteLength), 0);
  return { specs: out, data: bytes.buffer };
}

/**
 * Affine uint8, v ≈ q·scale + min, with the range nudged so that 0 is a code (the converter's
 * rule): a pruned weight stays exactly 0 after loading.
 */
function toUint8(v: Float32Array) {
  let lo = 0;
  let hi = 0;
  for (const x of v) {
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  const zero = Math.round(-lo / scale);
  const min = -zero * scale;
  const bytes = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round(v[i]! / scale) + zero));
  return { bytes, quantization: { dtype: 'uint8' as const, min, scale } };
}

function toFloat16(v: Float32Array) {
  const h = new Uint16Array(v.length);
  for (let i = 0; i < v.length; i++) h[i] = toHalf(v[i]!);
  return { bytes: new Uint8Array(h.buffer), quantization: { dtype: 'float16' as const } };
}

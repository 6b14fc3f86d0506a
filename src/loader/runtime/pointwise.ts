/**
 * Layers that act on each value or channel alone (normalisation, batch norm, activations, Add,
 * Dropout). They run in place where the plan lets them (`inPlace`), so they cost one pass over memory.
 */
import { densify } from '../decode.js';
import type { LayerConfig } from '../../models/layers-model-topology.js';
import { activationOf } from './activation.js';
import { sizeOf, unsupported, type Layer } from './layer.js';
import { weight, type LayerWeights } from './linear.js';

/** A layer that rewrites its only input; the plan gives it the input's memory as its output. */
export interface InPlaceLayer extends Layer {
  inPlace: true;
}

/** Per-channel x·scale + shift over the last axis; images are planes [c][h][w], vectors [f][batch]. */
function affine(shape: number[], scale: Float32Array, shift: Float32Array): InPlaceLayer {
  const c = shape.at(-1)!;
  const plane = shape.length === 3 ? shape[0]! * shape[1]! : 1;
  return {
    shape,
    inPlace: true,
    affine: { scale, shift },
    run({ mem, batch }, _ins, y) {
      const v = mem.f32(y, sizeOf(shape) * batch);
      if (shape.length === 3)
        for (let p = 0; p < batch * c; p++) {
          const [s, t] = [scale[p % c]!, shift[p % c]!];
          for (let i = p * plane; i < (p + 1) * plane; i++) v[i] = v[i]! * s + t;
        }
      else
        for (let f = 0; f < shape[0]!; f++) {
          const [s, t] = [scale[f]!, shift[f]!]; // a vector's channel is its feature
          for (let i = f * batch; i < (f + 1) * batch; i++) v[i] = v[i]! * s + t;
        }
    },
  };
}

/** A number or a per-channel array, as `c` channels. */
function perChannel(v: unknown, c: number, fallback: number): Float32Array {
  const a = Array.isArray(v) ? v.map(Number) : [v == null ? fallback : Number(v)];
  return Float32Array.from({ length: c }, (_, i) => a[a.length === 1 ? 0 : i]!);
}

/** Keras Rescaling (sprig's input normalisation): x·scale + offset. */
export function rescalingLayer(c: LayerConfig, x: number[]): InPlaceLayer {
  const ch = x.at(-1)!;
  return affine(x, perChannel(c.scale, ch, 1), perChannel(c.offset, ch, 0));
}

/** Inference batch norm with the running statistics, folded into one scale and shift per channel. */
export function batchNormLayer(layer: string, c: LayerConfig, x: number[], w: LayerWeights): InPlaceLayer {
  const axis = Array.isArray(c.axis) ? c.axis[0] : (c.axis ?? -1);
  if (axis !== -1 && axis !== x.length) throw unsupported(layer, `batch norm over axis ${String(axis)}`);
  const ch = x.at(-1)!;
  const get = (f: string, absent: number) =>
    w.has(f) ? densify(weight(w, f, layer, [ch])) : new Float32Array(ch).fill(absent);
  const [gamma, beta] = [get('gamma', 1), get('beta', 0)];
  const [mean, variance] = [
    densify(weight(w, 'moving_mean', layer, [ch])),
    densify(weight(w, 'moving_variance', layer, [ch])),
  ];
  const eps = Number(c.epsilon ?? 1e-3);
  const scale = gamma.map((g, i) => g / Math.sqrt(variance[i]! + eps));
  return affine(
    x,
    scale,
    beta.map((b, i) => b - mean[i]! * scale[i]!),
  );
}

function elementwise(shape: number[], f: (v: Float32Array, batch: number) => void): InPlaceLayer {
  return {
    shape,
    inPlace: true,
    run: ({ mem, batch }, _ins, y) => f(mem.f32(y, sizeOf(shape) * batch), batch),
  };
}

export function activationLayer(layer: string, c: LayerConfig, x: number[]): InPlaceLayer {
  const act = activationOf(c.activation, layer, x);
  return elementwise(x, (v, batch) => {
    if (act.relu) for (let i = 0; i < v.length; i++) v[i] = Math.max(v[i]!, 0);
    act.after?.(v, x, batch);
  });
}

/** Keras ReLU: x ≥ threshold ? min(x, max_value) : negative_slope·(x − threshold). */
export function reluLayer(c: LayerConfig, x: number[]): InPlaceLayer {
  const max = c.max_value == null ? Infinity : Number(c.max_value);
  const slope = Number(c.negative_slope ?? 0);
  const t = Number(c.threshold ?? 0);
  return elementwise(x, (v) => {
    for (let i = 0; i < v.length; i++) v[i] = v[i]! >= t ? Math.min(v[i]!, max) : slope * (v[i]! - t);
  });
}

/** Dropout does nothing at inference. */
export const identityLayer = (x: number[]): InPlaceLayer => ({ shape: x, inPlace: true, run: () => {} });

export function addLayer(layer: string, xs: number[][]): Layer {
  const s = xs[0]!;
  if (xs.some((o) => o.join() !== s.join()))
    throw unsupported(layer, `Add of shapes ${xs.map((o) => o.join('×')).join(' and ')} (broadcasting)`);
  return {
    shape: s,
    run({ mem, batch }, ins, y) {
      const n = sizeOf(s) * batch;
      const out = mem.f32(y, n);
      out.set(mem.f32(ins[0]!, n));
      for (const p of ins.slice(1)) {
        const v = mem.f32(p, n);
        for (let i = 0; i < n; i++) out[i]! += v[i]!;
      }
    },
  };
}

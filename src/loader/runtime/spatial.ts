/**
 * Layers that move values between positions: Flatten, pooling and global average pooling, and the
 * model's output back in the user's order (NHWC or [batch][f]).
 */
import type { LayerConfig } from '../../models/layers-model-topology.js';
import { pairOf, sizeOf, unsupported, window, type Layer } from './layer.js';

/** Planes [c][h][w] per example → NHWC; [f][batch] → [batch][f]: the user's order. */
export function fromRuntime(x: Float32Array, y: Float32Array, shape: number[], batch: number): void {
  if (shape.length === 1) return transpose(x, y, shape[0]!, batch);
  const [h, w, c] = shape as [number, number, number];
  if (c === 1) return y.set(x);
  const hw = h * w;
  for (let b = 0; b < batch; b++)
    for (let ch = 0; ch < c; ch++)
      for (let p = 0; p < hw; p++) y[(b * hw + p) * c + ch] = x[(b * c + ch) * hw + p]!;
}

/** [rows][cols] → [cols][rows]. */
export function transpose(x: Float32Array, y: Float32Array, rows: number, cols: number): void {
  if (rows === 1 || cols === 1) return y.set(x);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[c * rows + r] = x[r * cols + c]!;
}

/** Keras Flatten: an image's features in (h, w, c) order, as a vector [f][batch]. */
export function flattenLayer(x: number[]): Layer {
  const f = sizeOf(x);
  return {
    shape: [f],
    flatten: true,
    run({ mem, batch }, [p], y) {
      const src = mem.f32(p!, f * batch);
      const dst = mem.f32(y, f * batch);
      if (x.length === 1) return dst.set(src);
      const [hw, c] = [x[0]! * x[1]!, x[2]!];
      for (let b = 0; b < batch; b++)
        for (let ch = 0; ch < c; ch++)
          for (let p = 0; p < hw; p++) dst[(p * c + ch) * batch + b] = src[(b * c + ch) * hw + p]!;
    },
  };
}

export function globalAveragePoolLayer(layer: string, x: number[]): Layer {
  if (x.length !== 3) throw unsupported(layer, `global pooling of a rank-${x.length} input`);
  const [hw, c] = [x[0]! * x[1]!, x[2]!];
  return {
    shape: [c],
    run({ mem, batch }, [p], y) {
      const src = mem.f32(p!, hw * c * batch);
      const dst = mem.f32(y, c * batch);
      for (let b = 0; b < batch; b++)
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let i = (b * c + ch) * hw, e = i + hw; i < e; i++) s += src[i]!;
          dst[ch * batch + b] = s / hw;
        }
    },
  };
}

/** Max or average pooling (in the kernels); 'same' windows at the border count only the positions inside. */
export function poolLayer(layer: string, c: LayerConfig, x: number[], max: boolean): Layer {
  if (x.length !== 3) throw unsupported(layer, `pooling of a rank-${x.length} input`);
  const [kh, kw] = pairOf(c.pool_size, 2);
  const [sh, sw] = c.strides == null ? [kh, kw] : pairOf(c.strides, 1);
  const [h, w, ch] = x as [number, number, number];
  const rows = window(h, kh, sh, c.padding);
  const cols = window(w, kw, sw, c.padding);
  const [ho, wo] = [rows.out, cols.out];
  return {
    shape: [ho, wo, ch],
    run: ({ k, batch }, [p], y) =>
      k.pool(p!, y, batch * ch, h, w, ho, wo, kh, kw, sh, sw, rows.before, cols.before, max ? 1 : 0),
  };
}

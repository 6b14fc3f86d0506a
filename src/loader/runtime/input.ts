/**
 * The model's first step: the user's examples (NHWC, or flat) in the runtime's layout. It absorbs the
 * layers right after the input that only re-order or rescale it (sprig's normalisation layer, then a
 * Flatten in MLPs), so the input is read once.
 */
import { sizeOf, unsupported, type Affine, type Layer, type Step } from './layer.js';
import { identityLayer } from './pointwise.js';

/** NHWC → planes [c][h][w] per example, with x·scale + shift per channel. */
function toPlanes(x: Float32Array, y: Float32Array, shape: number[], batch: number, a: Affine): void {
  const [h, w, c] = shape as [number, number, number];
  const hw = h * w;
  for (let b = 0; b < batch; b++)
    for (let ch = 0; ch < c; ch++) {
      const [s, t, to] = [a.scale[ch]!, a.shift[ch]!, (b * c + ch) * hw];
      for (let p = 0, from = b * hw * c + ch; p < hw; p++, from += c) y[to + p] = x[from]! * s + t;
    }
}

/** [batch][f] → [f][batch] (f in the user's order: (h, w, c) for images), with x·scale + shift per channel. */
function toVectors(x: Float32Array, y: Float32Array, f: number, batch: number, a: Affine): void {
  const c = a.scale.length;
  for (let i = 0; i < f; i++) {
    const [s, t] = [a.scale[i % c]!, a.shift[i % c]!];
    for (let b = 0; b < batch; b++) y[i * batch + b] = x[b * f + i]! * s + t;
  }
}

export function inputLayer(shape: number[], affine?: Affine, flat = shape.length === 1): Layer {
  if (shape.length !== 1 && shape.length !== 3)
    throw unsupported('input', `an input of rank ${shape.length}`, 'feed images (h, w, c) or flat vectors');
  const c = shape.at(-1)!;
  const a = affine ?? { scale: new Float32Array(c).fill(1), shift: new Float32Array(c) };
  const f = sizeOf(shape);
  return {
    shape: flat ? [f] : shape,
    run({ mem, batch }, [x], y) {
      const [src, dst] = [mem.f32(x!, f * batch), mem.f32(y, f * batch)];
      if (flat) toVectors(src, dst, f, batch, a);
      else toPlanes(src, dst, shape, batch, a);
    },
  };
}

/** The steps reading step i's output. */
const readers = (steps: Step[], i: number) => steps.flatMap((s, j) => (s.ins.includes(i) ? [j] : []));

/** Folds a Rescaling, then a Flatten, that alone read the input into the input step (they become no-ops). */
export function fuseIntoInput(steps: Step[], inputShape: number[]): void {
  let next = readers(steps, 0);
  const rescale = next.length === 1 ? steps[next[0]!]! : undefined;
  const affine = rescale?.layer.affine;
  if (affine) next = readers(steps, next[0]!);
  const flatten = next.length === 1 && steps[next[0]!]!.layer.flatten ? steps[next[0]!] : undefined;
  steps[0]!.layer = inputLayer(inputShape, affine, inputShape.length === 1 || !!flatten);
  const shape = steps[0]!.layer.shape;
  if (affine) rescale!.layer = identityLayer(shape);
  if (flatten) flatten.layer = identityLayer(shape);
}

/**
 * Sparse-aware initialisation of masked weights (Evci et al., "Gradient Flow in Sparse Neural
 * Networks", papers.md §6; rigl_tf2 init_utils). The output unit of a weight is its last axis in
 * both layouts (dense [in, out], conv [kh, kw, cin, cout]); the input unit is axis −2.
 */
import type { ParamSpec } from '../models/types.js';
import { SprigError, unknownName } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { density, prunableSpecs, sizeOf, type Masks } from './mask.js';

export const sparseInitNames = ['dense', 'layer_scaled', 'unit_scaled'] as const;
export type SparseInitName = (typeof sparseInitNames)[number];

/**
 * The one init scale of every method: var = INIT_SCALE / fan. sprig's models draw their dense
 * weights He-normal (var 2/fan_in, src/models/layers.ts), so unit_scaled uses 2 as well and a
 * full mask gives the dense init's variance; rigl_tf2 likewise passes one scale to all its inits.
 */
export const INIT_SCALE = 2;

export interface UnitScaledOptions {
  /** var = scale / max(1, fan). Default INIT_SCALE (2, He); rigl_tf2's configs use 1.0 with a Glorot dense init. */
  scale?: number;
  /** Which masked fan: 'fanin' (default), 'fanout', 'fanavg' = (fan_in + fan_out)/2. */
  mode?: 'fanin' | 'fanout' | 'fanavg';
  /** 'normal' N(0, var) (default) or 'uniform' U(±√(3·var)). */
  distribution?: 'normal' | 'uniform';
}

/**
 * Fan-in under the mask of every output unit: Σ mask over all axes but the last
 * (dense: over the input dim; conv: over kh, kw, cin for each cout).
 */
export function maskedFanIn(spec: ParamSpec, mask: Float32Array): Float64Array {
  const out = spec.shape[spec.shape.length - 1]!;
  const f = new Float64Array(out);
  for (let i = 0; i < mask.length; i++) f[i % out]! += mask[i]!;
  return f;
}

/**
 * Fan-out under the mask of every input unit (axis −2): Σ mask over all other axes
 * (dense: over the output dim; conv: over kh, kw, cout for each cin).
 */
export function maskedFanOut(spec: ParamSpec, mask: Float32Array): Float64Array {
  const out = spec.shape[spec.shape.length - 1]!;
  const cin = spec.shape.length >= 2 ? spec.shape[spec.shape.length - 2]! : 1;
  const f = new Float64Array(cin);
  for (let i = 0; i < mask.length; i++) f[Math.floor(i / out) % cin]! += mask[i]!;
  return f;
}

/**
 * unit_scaled_init: each active weight ~ N(0, scale / max(1, fan of its unit under the mask)),
 * inactive weights 0. A unit keeps the pre-activation variance of a dense unit however sparse it is.
 */
export function unitScaledInit(
  spec: ParamSpec,
  mask: Float32Array,
  rng: Rng,
  opts: UnitScaledOptions = {},
): Float32Array {
  const scale = opts.scale ?? INIT_SCALE;
  const mode = opts.mode ?? 'fanin';
  const dist = opts.distribution ?? 'normal';
  const out = spec.shape[spec.shape.length - 1]!;
  const cin = spec.shape.length >= 2 ? spec.shape[spec.shape.length - 2]! : 1;
  const fin = maskedFanIn(spec, mask);
  const fout = maskedFanOut(spec, mask);
  const w = new Float32Array(mask.length);
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    const a = fin[i % out]!;
    const b = fout[Math.floor(i / out) % cin]!;
    const fan = mode === 'fanin' ? a : mode === 'fanout' ? b : (a + b) / 2;
    const v = scale / Math.max(1, fan);
    w[i] = dist === 'normal' ? Math.sqrt(v) * rng.normal() : Math.sqrt(3 * v) * (2 * rng.next() - 1);
  }
  return w;
}

/**
 * Initialises the prunable weights in place for a mask, from the model's own dense init `weights`
 * (He/Kaiming normal in sprig's models):
 *   dense         w ⊙ m
 *   layer_scaled  w ⊙ m / √density_l  (Liu et al. 2019; rigl_tf2 layer_scaled_init)
 *   unit_scaled   fresh draw, unitScaledInit (Evci et al.); the dense values are not used.
 * Non-prunable weights (biases, batch norm) are left as they are. Returns `weights`.
 */
export function sparseInit(
  specs: readonly ParamSpec[],
  weights: Map<string, Float32Array>,
  masks: Masks,
  method: SparseInitName,
  rng: Rng,
  opts: UnitScaledOptions = {},
): Map<string, Float32Array> {
  if (!sparseInitNames.includes(method)) throw unknownName('sparse init', String(method), sparseInitNames);
  for (const s of prunableSpecs(specs)) {
    const m = masks.get(s.name);
    const w = weights.get(s.name);
    if (!m || !w)
      throw new SprigError(
        `no ${m ? 'weights' : 'mask'} for '${s.name}'`,
        'pass the weights and masks of every prunable layer',
      );
    if (m.length !== w.length || w.length !== sizeOf(s.shape))
      throw new SprigError(
        `weights and mask of '${s.name}' differ in size (${w.length} vs ${m.length})`,
        'build both from the same model specs',
      );
    if (method === 'unit_scaled') {
      w.set(unitScaledInit(s, m, rng, opts));
      continue;
    }
    const d = density(m);
    const k = method === 'layer_scaled' && d > 0 ? 1 / Math.sqrt(d) : 1;
    for (let i = 0; i < w.length; i++) w[i] = m[i] === 0 ? 0 : w[i]! * k;
  }
  return weights;
}

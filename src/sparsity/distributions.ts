/**
 * Per-layer densities for a target overall sparsity S (RigL §3, papers.md §3). Biases and
 * batch-norm parameters are never counted: the target is over prunable weights only.
 */
import type { ParamSpec } from '../models/types.js';
import { SprigError, unknownName } from '../util/errors.js';
import { activeCount, prunableSpecs, sizeOf } from './mask.js';

export const distributionNames = ['uniform', 'er', 'erk', 'custom'] as const;
export type DistributionName = (typeof distributionNames)[number];

export interface DistributionOptions {
  distribution: DistributionName;
  /** Target fraction of prunable weights that are zero, in [0, 1). */
  sparsity: number;
  /** uniform only: keep the first prunable layer dense (RigL's default for uniform). Default true. */
  denseFirstLayer?: boolean;
  /** erk only: raw_l = (Σ shape / Π shape)^powerScale, RigL's erk_power_scale. Default 1. */
  powerScale?: number;
  /**
   * Fixed densities for some layers (custom: required for every prunable layer). Under er/erk the
   * rest share the remaining budget so the overall target is still met exactly; under uniform the
   * rest stay at 1 − S. RigL uses this to keep e.g. the first layer dense at 99 % sparsity.
   */
  densities?: Record<string, number> | Map<string, number>;
}

/** Density per prunable weight name, in model order. */
export type LayerDensities = Map<string, number>;

function toMap(d: DistributionOptions['densities']): Map<string, number> {
  if (!d) return new Map();
  return d instanceof Map ? new Map(d) : new Map(Object.entries(d));
}

function checkSparsity(s: number): void {
  if (!Number.isFinite(s) || s < 0 || s >= 1) {
    throw new SprigError(
      `sparsity ${s} is outside [0, 1)`,
      'pass the fraction of weights to remove, e.g. 0.9 for 90 % sparse',
    );
  }
}

function checkOverrides(specs: ParamSpec[], fixed: Map<string, number>): void {
  const names = new Set(specs.map((s) => s.name));
  for (const [name, d] of fixed) {
    if (!names.has(name)) throw unknownName('prunable layer', name, [...names]);
    if (!Number.isFinite(d) || d < 0 || d > 1) {
      throw new SprigError(
        `density ${d} for layer '${name}' is outside [0, 1]`,
        'give each layer a density between 0 and 1',
      );
    }
  }
}

/**
 * RigL's `get_sparsities_erdos_renyi`: density_l = ε·raw_l, with ε chosen so that the layers reach
 * Σ (N_l − ⌊S·N_l⌋) active weights in total. While max ε·raw_l > 1, the layer(s) with the largest
 * raw_l become dense and ε is recomputed. Layers with a fixed density take their share first.
 */
function erdosRenyi(
  specs: ParamSpec[],
  S: number,
  raw: (s: ParamSpec) => number,
  fixed: Map<string, number>,
): LayerDensities {
  const dense = new Set<string>();
  let eps = 0;
  const free = () => specs.filter((s) => !fixed.has(s.name) && !dense.has(s.name));
  if (free().length === 0) return new Map(specs.map((s) => [s.name, fixed.get(s.name)!]));
  for (;;) {
    let rhs = 0;
    let divisor = 0;
    for (const s of specs) {
      const n = sizeOf(s.shape);
      const ones = n - Math.floor(S * n);
      if (fixed.has(s.name)) rhs += ones - fixed.get(s.name)! * n;
      else if (dense.has(s.name)) rhs += ones - n;
      else {
        rhs += ones;
        divisor += raw(s) * n;
      }
    }
    const f = free();
    if (f.length === 0)
      throw cannotReach(
        specs,
        fixed,
        dense,
        S,
        'every layer is already dense or fixed and the target is still not met',
      );
    if (rhs < 0)
      throw cannotReach(
        specs,
        fixed,
        dense,
        S,
        'the dense and fixed layers alone hold more weights than the target allows',
      );
    eps = rhs / divisor;
    let maxRaw = -Infinity;
    for (const s of f) maxRaw = Math.max(maxRaw, raw(s));
    if (eps * maxRaw <= 1) break;
    for (const s of f) if (raw(s) === maxRaw) dense.add(s.name);
  }
  const out: LayerDensities = new Map();
  for (const s of specs) {
    if (fixed.has(s.name)) out.set(s.name, fixed.get(s.name)!);
    else if (dense.has(s.name)) out.set(s.name, 1);
    else out.set(s.name, eps * raw(s));
  }
  return out;
}

function cannotReach(
  specs: ParamSpec[],
  fixed: Map<string, number>,
  dense: Set<string>,
  S: number,
  why: string,
): SprigError {
  const held = specs.filter((s) => fixed.has(s.name) || dense.has(s.name));
  const list = held
    .map((s) => `'${s.name}' (${sizeOf(s.shape)} weights at density ${fixed.get(s.name) ?? 1})`)
    .join(', ');
  return new SprigError(
    `the distribution cannot reach sparsity ${S}: ${why}: ${list}`,
    'lower the fixed densities of those layers, fix fewer layers, or ask for a lower sparsity',
  );
}

/**
 * Per-layer densities for the prunable specs. Throws SprigError (before any training) when S is
 * outside [0, 1), a layer name is unknown, or the distribution cannot reach the target.
 */
export function layerDensities(specs: readonly ParamSpec[], opts: DistributionOptions): LayerDensities {
  const out = computeDensities(specs, opts);
  // A layer left with no weight cuts the network: refuse before training, naming the layer.
  const fixed = toMap(opts.densities);
  for (const s of prunableSpecs(specs)) {
    const d = out.get(s.name)!;
    if (!fixed.has(s.name) && activeCount(sizeOf(s.shape), d) === 0) {
      throw new SprigError(
        `${opts.distribution} at sparsity ${opts.sparsity} leaves layer '${s.name}' (${sizeOf(s.shape)} weights) with no weights (density ${d.toPrecision(3)})`,
        opts.distribution === 'erk'
          ? `lower the sparsity, or fix the density of '${s.name}' (densities in a config file)`
          : 'lower the sparsity, or use a distribution that keeps small layers denser (erk)',
      );
    }
  }
  return out;
}

function computeDensities(specs: readonly ParamSpec[], opts: DistributionOptions): LayerDensities {
  const S = opts.sparsity;
  checkSparsity(S);
  const ps = prunableSpecs(specs);
  if (ps.length === 0)
    throw new SprigError(
      'the model has no prunable weights',
      'mark conv/dense weights prunable in the model specs',
    );
  const fixed = toMap(opts.densities);
  checkOverrides(ps, fixed);
  switch (opts.distribution) {
    case 'uniform': {
      // RigL: s_l = S for every layer but the first, which stays dense by default.
      const firstDense = opts.denseFirstLayer ?? true;
      if (firstDense && ps.length === 1 && S > 0 && !fixed.has(ps[0]!.name)) {
        throw new SprigError(
          `uniform with a dense first layer cannot make '${ps[0]!.name}' sparse: it is the model's only prunable layer`,
          'pass denseFirstLayer: false, or use er/erk',
        );
      }
      const out: LayerDensities = new Map();
      ps.forEach((s, i) => out.set(s.name, fixed.get(s.name) ?? (firstDense && i === 0 ? 1 : 1 - S)));
      return out;
    }
    case 'er':
      // Mocanu et al. (SET): ∝ (n_in + n_out)/(n_in·n_out) over the last two dims (RigL's include_kernel=False).
      return erdosRenyi(
        ps,
        S,
        (s) => {
          const [nIn, nOut] = s.shape.slice(-2) as [number, number];
          return (nIn + nOut) / (nIn * nOut);
        },
        fixed,
      );
    case 'erk': {
      // RigL: ∝ (Σ shape)/(Π shape), kernel dims included; for dense layers equal to ER.
      const k = opts.powerScale ?? 1;
      if (!(k > 0)) throw new SprigError(`erk powerScale ${k} must be > 0`, 'use 1 for ERK as in RigL');
      return erdosRenyi(
        ps,
        S,
        (s) => Math.pow(s.shape.reduce((a, b) => a + b, 0) / sizeOf(s.shape), k),
        fixed,
      );
    }
    case 'custom': {
      const missing = ps.filter((s) => !fixed.has(s.name)).map((s) => s.name);
      if (missing.length)
        throw new SprigError(
          `custom distribution gives no density for ${missing.map((m) => `'${m}'`).join(', ')}`,
          'give a density for every prunable layer',
        );
      return new Map(ps.map((s) => [s.name, fixed.get(s.name)!]));
    }
    default:
      throw unknownName('distribution', String(opts.distribution), distributionNames);
  }
}

/** Overall sparsity 1 − Σ d_l N_l / Σ N_l that densities give over the prunable specs. */
export function overallSparsity(specs: readonly ParamSpec[], densities: LayerDensities): number {
  let n = 0;
  let a = 0;
  for (const s of prunableSpecs(specs)) {
    const size = sizeOf(s.shape);
    n += size;
    a += (densities.get(s.name) ?? 1) * size;
  }
  return n ? 1 - a / n : 0;
}

/**
 * Pruning by scores: magnitude (LTH, papers.md §7), random, and top-k masks from any scores (SNIP,
 * initial random masks). Counts are exact and ties are broken deterministically:
 *   - a lower score is removed first; NaN counts as the lowest score;
 *   - among equal scores the later entry (higher flat index; in a global pool, the later layer in
 *     model order) is removed first, so top-k keeps the earlier entry.
 */
import type { ParamSpec } from '../models/types.js';
import { SprigError, unknownName } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import {
  activeCount,
  cloneMasks,
  countActive,
  denseMasks,
  prunableSpecs,
  sizeOf,
  type Masks,
} from './mask.js';

/** Per-weight scores (higher = more important), same layout as the weights. */
export type Scores = Map<string, Float32Array>;

export type PruneScope = 'global' | 'layer';

export interface PruneOptions {
  /** p: fraction of the *remaining* (active) weights to remove at this level, in (0, 1). */
  fraction: number;
  /** 'layer': each layer loses round(p·active_l) (Frankle & Carbin); 'global': one threshold over the pool (Frankle et al. 2020). */
  scope: PruneScope;
  /**
   * Per-layer fraction overrides in [0, 1). A layer with an override is pruned on its own at that
   * rate, also under 'global' scope (it leaves the global pool).
   */
  rates?: Record<string, number> | Map<string, number>;
  /** Fraction for the output layer (spec.isOutput), e.g. p/2 as in LTH. A `rates` entry wins over it. */
  outputRate?: number;
  /** Layers never pruned (masks kept as they are). */
  exclude?: readonly string[];
}

/** How each prunable layer is treated: a per-layer rate, the global pool, or excluded. */
export type LayerRule = { kind: 'rate'; rate: number } | { kind: 'pool' } | { kind: 'excluded' };

function checkFraction(p: number, what: string, allowZero: boolean): void {
  if (!Number.isFinite(p) || p >= 1 || p < 0 || (!allowZero && p === 0)) {
    throw new SprigError(
      `${what} ${p} is outside ${allowZero ? '[0, 1)' : '(0, 1)'}`,
      'give the fraction of remaining weights to remove per level, e.g. 0.2',
    );
  }
}

/** Validates options and resolves the rule of every prunable layer. */
export function layerRules(specs: readonly ParamSpec[], opts: PruneOptions): Map<string, LayerRule> {
  checkFraction(opts.fraction, 'pruning fraction', false);
  if (opts.scope !== 'global' && opts.scope !== 'layer')
    throw unknownName('prune scope', String(opts.scope), ['global', 'layer']);
  const ps = prunableSpecs(specs);
  const names = ps.map((s) => s.name);
  const rates = opts.rates instanceof Map ? opts.rates : new Map(Object.entries(opts.rates ?? {}));
  for (const [n, r] of rates) {
    if (!names.includes(n)) throw unknownName('prunable layer', n, names);
    checkFraction(r, `pruning rate for '${n}'`, true);
  }
  if (opts.outputRate !== undefined) checkFraction(opts.outputRate, 'output-layer pruning rate', true);
  for (const n of opts.exclude ?? []) if (!names.includes(n)) throw unknownName('prunable layer', n, names);
  const rules = new Map<string, LayerRule>();
  for (const s of ps) {
    let rate = rates.get(s.name);
    if (rate === undefined && s.isOutput && opts.outputRate !== undefined) rate = opts.outputRate;
    if (opts.exclude?.includes(s.name)) rules.set(s.name, { kind: 'excluded' });
    else if (rate !== undefined) rules.set(s.name, { kind: 'rate', rate });
    else if (opts.scope === 'global') rules.set(s.name, { kind: 'pool' });
    else rules.set(s.name, { kind: 'rate', rate: opts.fraction });
  }
  return rules;
}

/**
 * Positions of the k lowest keys, ties at the threshold taken from the highest position down.
 * The threshold is the k-th smallest key, found by selection in linear time (a full sort of a
 * layer's keys cost RigL/SET ~20 ms per mask update on LeNet-300-100).
 */
function lowestK(key: Float64Array, k: number): Uint32Array {
  const out = new Uint32Array(k);
  let o = 0;
  forLowestK(key, k, (i) => (out[o++] = i));
  return out;
}

/**
 * Calls `take(i)` for each of the k lowest keys (lowestK's choice and tie order) without
 * allocating: drop-and-grow runs it over every weight of a layer each ΔT steps.
 */
export function forLowestK(key: Float64Array, k: number, take: (i: number) => void): void {
  if (k <= 0) return;
  const thr = kthSmallest(scratchCopy(key), k - 1);
  let o = 0;
  for (let i = 0; i < key.length; i++)
    if (key[i]! < thr) {
      take(i);
      o++;
    }
  for (let i = key.length - 1; i >= 0 && o < k; i--)
    if (key[i] === thr) {
      take(i);
      o++;
    }
}

// One reused buffer for the selection's copy: drop-and-grow selects over every weight of a layer
// each ΔT steps, and a fresh copy each time is megabytes of garbage.
let selectScratch = new Float64Array(0);
function scratchCopy(key: Float64Array): Float64Array {
  if (selectScratch.length < key.length) selectScratch = new Float64Array(key.length);
  selectScratch.set(key);
  return selectScratch.subarray(0, key.length);
}

/**
 * The value at sorted position k of `a` (0-based), as `a.sort()[k]` would give, reordering `a`:
 * Hoare partitioning around a median of three, narrowing to the side that holds k. Keys are never
 * NaN here (scoreOf maps NaN to -Infinity).
 */
export function kthSmallest(a: Float64Array, k: number): number {
  let lo = 0,
    hi = a.length - 1;
  while (lo < hi) {
    const pivot = medianOf3(a[lo]!, a[(lo + hi) >> 1]!, a[hi]!);
    let i = lo,
      j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

const medianOf3 = (x: number, y: number, z: number): number =>
  Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));

export function scoreOf(v: number): number {
  return Number.isNaN(v) ? -Infinity : v;
}

/**
 * One pruning level: removes a fraction of the active weights with the lowest scores. Returns new
 * masks; the input masks are not modified. Only active entries (mask = 1) are candidates.
 */
export function pruneByScores(
  specs: readonly ParamSpec[],
  masks: Masks,
  scores: Scores,
  opts: PruneOptions,
): Masks {
  const rules = layerRules(specs, opts);
  const out = cloneMasks(masks);
  const pool: { name: string; pos: Uint32Array }[] = [];
  for (const s of prunableSpecs(specs)) {
    const rule = rules.get(s.name)!;
    const mask = out.get(s.name);
    if (!mask) throw new SprigError(`no mask for '${s.name}'`, 'start from denseMasks(specs)');
    if (rule.kind === 'excluded') continue;
    const sc = scores.get(s.name);
    if (!sc || sc.length !== mask.length)
      throw new SprigError(
        `no scores of the right size for '${s.name}'`,
        'score every prunable weight (e.g. |w|)',
      );
    const pos = activePositions(mask);
    if (rule.kind === 'pool') {
      pool.push({ name: s.name, pos });
      continue;
    }
    const k = activeCount(pos.length, rule.rate);
    const key = new Float64Array(pos.length);
    for (let j = 0; j < pos.length; j++) key[j] = scoreOf(sc[pos[j]!]!);
    for (const j of lowestK(key, k)) mask[pos[j]!] = 0;
  }
  if (pool.length) {
    // One threshold over the pool: concatenate the active entries in model order.
    const total = pool.reduce((a, p) => a + p.pos.length, 0);
    const key = new Float64Array(total);
    const layerOf = new Uint16Array(total);
    let o = 0;
    pool.forEach((p, li) => {
      const sc = scores.get(p.name)!;
      for (let j = 0; j < p.pos.length; j++, o++) {
        key[o] = scoreOf(sc[p.pos[j]!]!);
        layerOf[o] = li;
      }
    });
    const starts = [0];
    for (const p of pool) starts.push(starts[starts.length - 1]! + p.pos.length);
    for (const g of lowestK(key, activeCount(total, opts.fraction))) {
      const li = layerOf[g]!;
      out.get(pool[li]!.name)![pool[li]!.pos[g - starts[li]!]!] = 0;
    }
  }
  return out;
}

function activePositions(mask: Float32Array): Uint32Array {
  const pos = new Uint32Array(countActive(mask));
  let o = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) pos[o++] = i;
  return pos;
}

/** |w| as scores, for the prunable weights. */
export function magnitudeScores(specs: readonly ParamSpec[], weights: Map<string, Float32Array>): Scores {
  const sc: Scores = new Map();
  for (const s of prunableSpecs(specs)) {
    const w = weights.get(s.name);
    if (!w) throw new SprigError(`no weights for '${s.name}'`, 'pass the weights of every prunable layer');
    sc.set(s.name, w.map(Math.abs));
  }
  return sc;
}

/** Magnitude pruning of one level (LTH): removes the smallest |w| among the active weights. */
export function magnitudePrune(
  specs: readonly ParamSpec[],
  masks: Masks,
  weights: Map<string, Float32Array>,
  opts: PruneOptions,
): Masks {
  layerRules(specs, opts); // options first, so a bad fraction is reported before anything else
  return pruneByScores(specs, masks, magnitudeScores(specs, weights), opts);
}

/** Uniform random scores (seeded), same sizes as the prunable weights. */
export function randomScores(specs: readonly ParamSpec[], rng: Rng): Scores {
  const sc: Scores = new Map();
  for (const s of prunableSpecs(specs)) {
    const a = new Float32Array(sizeOf(s.shape));
    for (let i = 0; i < a.length; i++) a[i] = rng.next();
    sc.set(s.name, a);
  }
  return sc;
}

/** Random pruning of one level: same counts per layer (and same pool size) as magnitudePrune. */
export function randomPrune(specs: readonly ParamSpec[], masks: Masks, opts: PruneOptions, rng: Rng): Masks {
  return pruneByScores(specs, masks, randomScores(specs, rng), opts);
}

/**
 * Keeps, per layer, the activeCount(N_l, d_l) highest-scoring entries (ties: lower index kept).
 * Used by SNIP (|θ·∇L|) and for random initial masks. Every scored layer needs a density.
 */
export function maskFromScores(scores: Scores, densities: Map<string, number>): Masks {
  const out: Masks = new Map();
  for (const [name, sc] of scores) {
    const d = densities.get(name);
    if (d === undefined)
      throw new SprigError(
        `no density for layer '${name}'`,
        'compute densities with layerDensities() over the same specs',
      );
    const k = activeCount(sc.length, d);
    const key = new Float64Array(sc.length);
    for (let i = 0; i < sc.length; i++) key[i] = scoreOf(sc[i]!);
    const m = new Float32Array(sc.length).fill(1);
    for (const j of lowestK(key, sc.length - k)) m[j] = 0;
    out.set(name, m);
  }
  return out;
}

/** Keeps the activeCount(total, density) highest scores over all layers together (global top-k). */
export function globalMaskFromScores(scores: Scores, density: number): Masks {
  const names = [...scores.keys()];
  const total = names.reduce((a, n) => a + scores.get(n)!.length, 0);
  const key = new Float64Array(total);
  let o = 0;
  for (const n of names) for (const v of scores.get(n)!) key[o++] = scoreOf(v);
  const flat = new Float32Array(total).fill(1);
  for (const j of lowestK(key, total - activeCount(total, density))) flat[j] = 0;
  const out: Masks = new Map();
  o = 0;
  for (const n of names) {
    const len = scores.get(n)!.length;
    out.set(n, flat.slice(o, o + len));
    o += len;
  }
  return out;
}

/** A seeded random mask per prunable layer with exactly activeCount(N_l, d_l) ones (static sparse, SET/RigL start). */
export function randomMasks(specs: readonly ParamSpec[], densities: Map<string, number>, rng: Rng): Masks {
  const out: Masks = new Map();
  for (const s of prunableSpecs(specs)) {
    const d = densities.get(s.name);
    if (d === undefined)
      throw new SprigError(
        `no density for layer '${s.name}'`,
        'compute densities with layerDensities() over the same specs',
      );
    out.set(s.name, randomMaskWithCount(sizeOf(s.shape), activeCount(sizeOf(s.shape), d), rng));
  }
  return out;
}

/** The LTH "random mask" ablation: new random positions, exactly the same active count per layer as `masks`. */
export function randomMasksLike(masks: Masks, rng: Rng): Masks {
  const out: Masks = new Map();
  for (const [n, m] of masks) out.set(n, randomMaskWithCount(m.length, countActive(m), rng));
  return out;
}

function randomMaskWithCount(n: number, k: number, rng: Rng): Float32Array {
  const m = new Float32Array(n);
  const perm = rng.permutation(n);
  for (let j = 0; j < k; j++) m[perm[j]!] = 1;
  return m;
}

/**
 * Checks, before training, that `levels` levels of pruning leave every layer some weights.
 * Exact for per-layer rates; for the global pool only the pool total can be predicted (which layer
 * loses what depends on the trained weights). Throws SprigError naming the layer and the level.
 * Returns the predicted active count per layer (pool layers: the expected count at rate p).
 */
export function checkLevels(
  specs: readonly ParamSpec[],
  levels: number,
  opts: PruneOptions,
  masks?: Masks,
): Map<string, number> {
  if (!Number.isInteger(levels) || levels < 0)
    throw new SprigError(`level count ${levels} is not a whole number ≥ 0`, 'pass --levels N with N ≥ 0');
  const rules = layerRules(specs, opts);
  const start = masks ?? denseMasks(specs);
  const active = new Map<string, number>();
  for (const s of prunableSpecs(specs))
    active.set(s.name, start.get(s.name) ? countActive(start.get(s.name)!) : sizeOf(s.shape));
  let pool = 0;
  for (const [n, r] of rules) if (r.kind === 'pool') pool += active.get(n)!;
  for (let level = 1; level <= levels; level++) {
    for (const [n, r] of rules) {
      if (r.kind === 'excluded') continue;
      const rate = r.kind === 'rate' ? r.rate : opts.fraction;
      const a = active.get(n)!;
      const left = r.kind === 'rate' ? a - activeCount(a, rate) : a * (1 - rate);
      active.set(n, left);
      if (r.kind === 'rate' && left === 0 && a > 0) {
        throw new SprigError(
          `${levels} levels at pruning rate ${rate} leave layer '${n}' with no weights at level ${level}`,
          `use at most ${level - 1} levels, a lower rate for '${n}', or exclude it`,
        );
      }
    }
    if (pool > 0) {
      const before = pool;
      pool -= activeCount(pool, opts.fraction);
      if (pool === 0) {
        const names = [...rules]
          .filter(([, r]) => r.kind === 'pool')
          .map(([n]) => `'${n}'`)
          .join(', ');
        throw new SprigError(
          `${levels} levels at pruning fraction ${opts.fraction} leave the globally pruned layers (${names}) with no weights at level ${level} (${before} before it)`,
          `use at most ${level - 1} levels or a lower fraction`,
        );
      }
    }
  }
  return active;
}

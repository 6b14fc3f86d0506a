/**
 * Orthonormal bases for tickets in another basis (Generalized LTH, papers.md §2): coefficients
 * c = Bᵀθ are pruned, and the net trains θ = B(m ⊙ c). B = identity is the canonical LTH.
 *
 * Every basis is a two-sided, block-diagonal transform of a 2-D view of the weight:
 *   θ2d = reshape(θ, [rowsN, colsN])   (a free reshape of the row-major weight)
 *   θ2d = L · C2d · Rᵀ     and     C2d = Lᵀ · θ2d · R
 * L = blockdiag(L_1, …) [rowsN × rowsN] and R = blockdiag(R_1, …) [colsN × colsN] are orthonormal;
 * a block's columns are its basis vectors. Since vec(L C Rᵀ) = (L ⊗ R) vec(C) with L ⊗ R orthonormal,
 * the flattened basis B = L ⊗ R is orthonormal too: norms are preserved and θ → c → θ is exact.
 *
 * Views:
 *   dense [in, out]           rowsN = in, colsN = out; L blocks the input dim, R the output dim,
 *                              in blocks of `block` (default 8; the whole dim when smaller).
 *   image [h·w·c, out]        with the `image` option, a dense layer whose inputs are the flattened
 *                              image: L = B_h ⊗ B_w (⊗ I_c) over the image plane, R = identity.
 *   conv  [kh, kw, cin, cout] rowsN = kh·kw, colsN = cin·cout; L = B_kh ⊗ B_kw acts on each
 *                              kernel's (kh, kw) plane, R = identity (null): one transform per
 *                              (cin, cout) kernel, shared by all kernels of the layer.
 * A dim that the block does not divide ends with one smaller block (remainder 'ragged', default),
 * still orthonormal; with remainder 'error', fits() says why instead. We do not pad: padding would
 * add coefficients that have no weight and break B = I equivalence of counts.
 */
import type { ParamSpec } from '../models/types.js';
import { SprigError, unknownName } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { sizeOf } from './mask.js';

/** One block of an axis transform: rows/cols [start, start + size), matrix size×size row-major. */
export interface AxisBlock {
  start: number;
  size: number;
  /** Row-major size×size; column k is the k-th basis vector of the block. */
  matrix: Float64Array;
}

/** A block-diagonal orthonormal matrix over an axis of length n; null means the identity. */
export type AxisTransform = { n: number; blocks: AxisBlock[] } | null;

export interface BasisMatrices {
  rowsN: number;
  colsN: number;
  /** L, row-major [rowsN, rowsN]; null = identity. */
  left: Float32Array | null;
  /** R, row-major [colsN, colsN]; null = identity. */
  right: Float32Array | null;
  /** The per-block form of L and R, for code that wants to avoid the dense block-diagonal matrices. */
  leftBlocks: AxisTransform;
  rightBlocks: AxisTransform;
  /** θ2d = reshape(θ, [rowsN, colsN]) = L · C2d · Rᵀ; C2d = Lᵀ · θ2d · R (matMuls with transposes). */
  layout: string;
}

export interface Basis {
  name: BasisName;
  /** null if the basis applies to this parameter, else why it does not (for a SprigError). */
  fits(spec: ParamSpec): string | null;
  /** c = Bᵀθ, same length and layout as θ. */
  toCoeffs(spec: ParamSpec, theta: Float32Array): Float32Array;
  /** θ = B c. */
  fromCoeffs(spec: ParamSpec, c: Float32Array): Float32Array;
  /** L and R of the two-sided form above, so θ = B(m ⊙ c) can be written as matMuls in TF.js. */
  blockMatrices(spec: ParamSpec): BasisMatrices;
}

export const basisNames = ['identity', 'dct', 'orthogonal'] as const;
export type BasisName = (typeof basisNames)[number];

export interface BasisOptions {
  /** Block size along each dense-matrix dim. Default 8. */
  block?: number;
  /** What to do when the block does not divide a dim: 'ragged' (default) or 'error'. */
  remainder?: 'ragged' | 'error';
  /** Seed of the orthogonal basis (each layer derives its own stream from it and its name). Default 0. */
  seed?: number;
  /**
   * The input image [h, w, c]: a dense layer with h·w·c inputs (the first layer of an MLP) is
   * transformed over the image plane (2-D, per channel) along its inputs, not in blocks of the
   * flattened pixels, which would cross image rows; its outputs are left alone. Default: none.
   */
  image?: readonly number[];
}

// ---- block matrices ----

/** Orthonormal DCT-II synthesis matrix: column k is α_k cos(π(2n+1)k / 2N), α_0 = √(1/N), α_k = √(2/N). */
export function dctMatrix(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const a = k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
      m[i * n + k] = a * Math.cos((Math.PI * (2 * i + 1) * k) / (2 * n));
    }
  }
  return m;
}

/** Random orthogonal matrix: modified Gram–Schmidt (run twice for accuracy) on a Gaussian matrix's columns. */
export function randomOrthogonalMatrix(n: number, rng: Rng): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < m.length; i++) m[i] = rng.normal();
  for (let k = 0; k < n; k++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < k; j++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += m[i * n + j]! * m[i * n + k]!;
        for (let i = 0; i < n; i++) m[i * n + k]! -= dot * m[i * n + j]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += m[i * n + k]! ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) m[i * n + k]! /= norm;
  }
  return m;
}

/** Kronecker product A ⊗ B of square matrices, index (a·nb + b, k·nb + l). */
function kron(a: Float64Array, na: number, b: Float64Array, nb: number): Float64Array {
  const n = na * nb;
  const m = new Float64Array(n * n);
  for (let i = 0; i < na; i++)
    for (let k = 0; k < na; k++)
      for (let j = 0; j < nb; j++)
        for (let l = 0; l < nb; l++) m[(i * nb + j) * n + k * nb + l] = a[i * na + k]! * b[j * nb + l]!;
  return m;
}

function splitBlocks(n: number, block: number): { start: number; size: number }[] {
  const out = [];
  for (let s = 0; s < n; s += block) out.push({ start: s, size: Math.min(block, n - s) });
  return out;
}

// ---- applying a two-sided transform ----

/** X [rows, cols] → op·X (transpose: opᵀ·X), block by block along rows. */
function applyRows(op: AxisTransform, x: Float64Array, cols: number, transpose: boolean): Float64Array {
  if (!op) return x;
  const y = new Float64Array(x.length);
  for (const { start, size, matrix } of op.blocks) {
    for (let i = 0; i < size; i++) {
      const yo = (start + i) * cols;
      for (let k = 0; k < size; k++) {
        const a = transpose ? matrix[k * size + i]! : matrix[i * size + k]!;
        if (a === 0) continue;
        const xo = (start + k) * cols;
        for (let j = 0; j < cols; j++) y[yo + j]! += a * x[xo + j]!;
      }
    }
  }
  return y;
}

/** X [rows, cols] → X·opᵀ (transpose: X·op), block by block along cols. */
function applyCols(
  op: AxisTransform,
  x: Float64Array,
  rows: number,
  cols: number,
  transpose: boolean,
): Float64Array {
  if (!op) return x;
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (const { start, size, matrix } of op.blocks) {
      for (let j = 0; j < size; j++) {
        let s = 0;
        // (X·Rᵀ)[r, j] = Σ_k X[r, k] R[j, k];  (X·R)[r, j] = Σ_k X[r, k] R[k, j]
        for (let k = 0; k < size; k++)
          s += x[o + start + k]! * (transpose ? matrix[k * size + j]! : matrix[j * size + k]!);
        y[o + start + j] = s;
      }
    }
  }
  return y;
}

function denseOf(op: AxisTransform): Float32Array | null {
  if (!op) return null;
  const m = new Float32Array(op.n * op.n);
  for (const { start, size, matrix } of op.blocks)
    for (let i = 0; i < size; i++)
      for (let k = 0; k < size; k++) m[(start + i) * op.n + start + k] = matrix[i * size + k]!;
  return m;
}

interface View {
  rowsN: number;
  colsN: number;
  left: AxisTransform;
  right: AxisTransform;
}

function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const LAYOUT = 'θ2d = reshape(θ, [rowsN, colsN]) = L·C2d·Rᵀ; C2d = Lᵀ·θ2d·R; null L or R = identity';

/** A basis's settings, checked once: what every view of it is built from. */
interface BlockConfig {
  name: BasisName;
  block: number;
  remainder: 'ragged' | 'error';
  seed: number;
  /** The input image [h, w, c] whose flattened pixels a dense layer's rows may be. */
  image?: readonly number[];
  /** The block matrix of size n for an axis; null = the identity basis. */
  blockMatrix: ((n: number, rng: Rng) => Float64Array) | null;
}

function blockConfig(
  name: BasisName,
  opts: BasisOptions,
  blockMatrix: BlockConfig['blockMatrix'],
): BlockConfig {
  const block = opts.block ?? 8;
  const remainder = opts.remainder ?? 'ragged';
  if (!Number.isInteger(block) || block < 1)
    throw new SprigError(`basis block size ${block} must be a whole number ≥ 1`, 'use e.g. 8');
  if (remainder !== 'ragged' && remainder !== 'error')
    throw unknownName('basis remainder', String(remainder), ['ragged', 'error']);
  return { name, block, remainder, seed: opts.seed ?? 0, image: opts.image, blockMatrix };
}

/** A dense layer whose rows are the flattened input image (row-major [h, w, c]). */
const isImageLayer = (c: BlockConfig, spec: ParamSpec) =>
  Boolean(c.image) && spec.kind === 'dense' && spec.shape[0] === sizeOf(c.image!);

function fitsOf(c: BlockConfig, spec: ParamSpec): string | null {
  if (!c.blockMatrix) return null;
  if (spec.kind !== 'dense' && spec.kind !== 'conv')
    return `the ${c.name} basis applies to dense and conv weights, and '${spec.name}' is a ${spec.kind} parameter`;
  const rank = spec.kind === 'dense' ? 2 : 4;
  if (spec.shape.length !== rank)
    return `'${spec.name}' is ${spec.kind} but has shape [${spec.shape.join(', ')}], not rank ${rank}`;
  if (spec.kind === 'dense' && c.remainder === 'error' && !isImageLayer(c, spec)) {
    for (const [axis, n] of [
      ['input', spec.shape[0]!],
      ['output', spec.shape[1]!],
    ] as const) {
      if (n > c.block && n % c.block !== 0)
        return `the ${axis} dim of '${spec.name}' (${n}) is not a multiple of the ${c.block}×${c.block} block`;
    }
  }
  return null;
}

/** One transform over the whole axis. */
const whole = (n: number, matrix: Float64Array): AxisTransform => ({
  n,
  blocks: [{ start: 0, size: n, matrix }],
});

/** The two-sided view of one weight under a basis with block matrices (see the file's comment). */
function buildView(c: BlockConfig, spec: ParamSpec): View {
  const make = c.blockMatrix!;
  // One stream per layer, from the seed and the name: a layer's basis does not depend on call order.
  const rng = new Rng(((c.seed >>> 0) ^ hashName(spec.name)) >>> 0);
  if (spec.kind === 'conv') {
    const [kh, kw, cin, cout] = spec.shape as [number, number, number, number];
    return {
      rowsN: kh * kw,
      colsN: cin * cout,
      left: whole(kh * kw, kron(make(kh, rng), kh, make(kw, rng), kw)),
      right: null,
    };
  }
  const [nin, nout] = spec.shape as [number, number];
  if (isImageLayer(c, spec)) {
    // The 2-D transform of each unit's receptive field over the image plane (per channel), as JPEG does.
    const [h, w, ch] = c.image as [number, number, number];
    const plane = kron(make(h, rng), h, make(w, rng), w);
    const eye = Float64Array.from({ length: ch * ch }, (_, i) => (i % (ch + 1) === 0 ? 1 : 0));
    return {
      rowsN: nin,
      colsN: nout,
      left: whole(nin, ch === 1 ? plane : kron(plane, h * w, eye, ch)),
      right: null,
    };
  }
  const axis = (len: number): AxisTransform => ({
    n: len,
    blocks: splitBlocks(len, c.block).map(({ start, size }) => ({ start, size, matrix: make(size, rng) })),
  });
  return { rowsN: nin, colsN: nout, left: axis(nin), right: axis(nout) };
}

/** c = Bᵀθ (forward = false) or θ = B c (forward = true) through a view. */
function transform(v: View, x: Float32Array, forward: boolean): Float32Array {
  if (!v.left && !v.right) return x.slice();
  const rows = applyRows(v.left, Float64Array.from(x), v.colsN, !forward);
  return Float32Array.from(applyCols(v.right, rows, v.rowsN, v.colsN, !forward));
}

/** A basis built from a function giving the block matrix of size n for an axis (null = identity basis). */
function makeBlockBasis(
  name: BasisName,
  opts: BasisOptions,
  blockMatrix: ((n: number, rng: Rng) => Float64Array) | null,
): Basis {
  const c = blockConfig(name, opts, blockMatrix);
  const cache = new Map<string, View>();
  const view = (spec: ParamSpec): View => {
    const why = fitsOf(c, spec);
    if (why)
      throw new SprigError(
        why,
        `use the identity basis for '${spec.name}', ${c.remainder === 'error' ? "remainder 'ragged', " : ''}or a block size that fits`,
      );
    const key = `${spec.name}|${spec.shape.join('x')}`;
    if (!cache.has(key))
      cache.set(
        key,
        blockMatrix ? buildView(c, spec) : { rowsN: sizeOf(spec.shape), colsN: 1, left: null, right: null },
      );
    return cache.get(key)!;
  };
  const check = (spec: ParamSpec, x: Float32Array) => {
    if (x.length !== sizeOf(spec.shape))
      throw new SprigError(
        `'${spec.name}' has ${sizeOf(spec.shape)} entries but ${x.length} were given`,
        'pass the flat weight of that parameter',
      );
  };
  return {
    name,
    fits: (spec) => fitsOf(c, spec),
    toCoeffs: (spec, theta) => (check(spec, theta), transform(view(spec), theta, false)),
    fromCoeffs: (spec, coeffs) => (check(spec, coeffs), transform(view(spec), coeffs, true)),
    blockMatrices(spec) {
      const v = view(spec);
      const { rowsN, colsN } = v;
      return {
        rowsN,
        colsN,
        left: denseOf(v.left),
        right: denseOf(v.right),
        leftBlocks: v.left,
        rightBlocks: v.right,
        layout: LAYOUT,
      };
    },
  };
}

/** The canonical basis: c = θ exactly. */
export function identityBasis(): Basis {
  return makeBlockBasis('identity', {}, null);
}

/** Orthonormal 2-D DCT-II per conv kernel (kh, kw) and per dense-matrix block. */
export function dctBasis(opts: BasisOptions = {}): Basis {
  return makeBlockBasis('dct', opts, (n) => dctMatrix(n));
}

/** Seeded random orthogonal matrix per block (per layer for conv kernels). */
export function orthogonalBasis(opts: BasisOptions = {}): Basis {
  return makeBlockBasis('orthogonal', opts, (n, rng) => randomOrthogonalMatrix(n, rng));
}

/** A basis by name; unknown names fail with the list of valid ones. */
export function makeBasis(name: string, opts: BasisOptions = {}): Basis {
  const makers = {
    identity: () => identityBasis(),
    dct: () => dctBasis(opts),
    orthogonal: () => orthogonalBasis(opts),
  } satisfies Record<BasisName, () => Basis>;
  if (!(basisNames as readonly string[]).includes(name)) throw unknownName('basis', name, basisNames);
  return makers[name as BasisName]();
}

/** Throws SprigError (before training) naming the first prunable weight the basis does not fit. */
export function checkBasisFits(basis: Basis, specs: readonly ParamSpec[]): void {
  for (const s of specs) {
    if (!s.prunable) continue;
    const why = basis.fits(s);
    if (why)
      throw new SprigError(
        `basis '${basis.name}' does not fit layer '${s.name}': ${why}`,
        'use the identity basis, or another block size / remainder option',
      );
  }
}

/**
 * Tickets in another basis (Generalized LTH, papers.md §2): the net's prunable weights are
 * θ = B(m ⊙ c) with trainable coefficients c, written as θ2d = L·(m ⊙ C2d)·Rᵀ in TF.js from the
 * basis' block matrices, so that gradients flow to c. Biases and batch-norm parameters pass through.
 */
import { alloc, serialGemm, tf, valuesOf } from '../engine/index.js';
import type { ParamSpec, ParamTensors } from '../models/types.js';
import type { AxisTransform, Basis } from '../sparsity/bases.js';
import type { Masks } from '../sparsity/mask.js';

/** c = Bᵀθ for the prunable weights; other parameters are copied as they are. */
export function coeffsOf(
  basis: Basis,
  specs: readonly ParamSpec[],
  theta: Map<string, Float32Array>,
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const s of specs) {
    const w = theta.get(s.name)!;
    out.set(s.name, s.prunable ? basis.toCoeffs(s, w) : w.slice());
  }
  return out;
}

/** A run of consecutive equal-sized blocks of an axis transform. */
interface Run {
  /** First row/column of the run on its axis. */
  start: number;
  count: number;
  size: number;
  /** The run's matrices stacked [count, size, size], row-major. */
  stacked: Float32Array;
  /** True when every block of the run is the same matrix (the DCT's case). */
  shared: boolean;
}

/** Groups consecutive blocks of the same size, noting whether a run's blocks are all one matrix. */
function runsOf(op: AxisTransform): Run[] {
  if (!op) return [];
  const groups: { start: number; size: number; mats: Float64Array[] }[] = [];
  for (const b of op.blocks) {
    const last = groups.at(-1);
    if (last && last.size === b.size) last.mats.push(b.matrix);
    else groups.push({ start: b.start, size: b.size, mats: [b.matrix] });
  }
  return groups.map(({ start, size, mats }) => {
    const stacked = new Float32Array(mats.length * size * size);
    mats.forEach((m, i) => stacked.set(m, i * size * size));
    const shared = mats.every((m) => m === mats[0] || m.every((v, i) => v === mats[0]![i]));
    return { start, count: mats.length, size, stacked, shared };
  });
}

/**
 * These products (K = 8) are memory-bound and small: the native matmul's automatic choice of an
 * OpenMP team costs more than the product itself (0.5 ms a call against 0.05 for LeNet-300-100's
 * first layer when another process holds a core), so they run on one BLAS thread (serialGemm),
 * which also makes their bits independent of the thread count.
 */
const gemm = serialGemm;

/**
 * Working arrays by role, reused from call to call (a layer's transform runs at most once at a
 * time): fresh arrays cost page faults and GC pressure comparable to the products themselves.
 */
type Buffers = (role: string, n: number) => Float32Array;

function scratch(): Buffers {
  const held = new Map<string, Float32Array>();
  return (role, n) => {
    let b = held.get(role);
    if (!b || b.length !== n) held.set(role, (b = new Float32Array(n)));
    return b;
  };
}

function transposed(a: Float32Array, rows: number, cols: number, out: Float32Array): Float32Array {
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = a[o + j]!;
  }
  return out;
}

/**
 * op·X (t: opᵀ·X) for row-major X [rows, cols], op block-diagonal along the rows: a run's rows are
 * contiguous, so a run is one batched product of its blocks with X's row blocks.
 */
function leftData(
  runs: Run[],
  x: Float32Array,
  rows: number,
  cols: number,
  t: boolean,
  out: Float32Array,
): Float32Array {
  for (const { start, count, size, stacked } of runs) {
    const span = [start * cols, (start + count * size) * cols] as const;
    gemm(out.subarray(...span), stacked, x.subarray(...span), count, count, size, cols, size, t, false);
  }
  return out;
}

/** Columns [start, start + w) of row-major X [rows, cols], as a contiguous [rows, w] (row-wise copies). */
function columns(
  x: Float32Array,
  rows: number,
  cols: number,
  start: number,
  w: number,
  out: Float32Array,
): Float32Array {
  if (start === 0 && w === cols) return x;
  for (let i = 0; i < rows; i++) out.set(x.subarray(i * cols + start, i * cols + start + w), i * w);
  return out;
}

/**
 * X·opᵀ (t: X·op) for row-major X [rows, cols], op block-diagonal along the columns, run by run.
 * A run of one shared block R_b (the DCT) is one GEMM with no transpose — its columns read as
 * [rows·count, size] times R_bᵀ, the Kronecker form X·(I ⊗ R_b)ᵀ; a run of distinct blocks (the
 * orthogonal basis) is (op·Xᵀ)ᵀ through two loop transposes. A run of one block that is not the
 * whole width (a ragged remainder) is a strided loop: copying its few columns out and back costs
 * more than its product.
 */
function rightData(
  runs: Run[],
  x: Float32Array,
  rows: number,
  cols: number,
  t: boolean,
  out: Float32Array,
  buf: Buffers,
): Float32Array {
  for (const run of runs) {
    const { start, count, size, stacked, shared } = run;
    const w = count * size;
    const whole = w === cols;
    if (count === 1 && !whole) {
      stridedBlock(x, rows, cols, start, size, stacked, t, out);
      continue;
    }
    const part = columns(x, rows, cols, start, w, buf('part', rows * w));
    const y = whole ? out : buf('y', rows * w);
    if (shared) gemm(y, part, stacked.subarray(0, size * size), 1, 1, rows * count, size, size, false, !t);
    else {
      const pt = transposed(part, rows, w, buf('pt', rows * w));
      const own = [{ ...run, start: 0 }];
      transposed(leftData(own, pt, w, rows, t, buf('qt', rows * w)), w, rows, y);
    }
    if (whole) return out;
    for (let i = 0; i < rows; i++) out.set(y.subarray(i * w, (i + 1) * w), i * cols + start);
  }
  return out;
}

/** Columns [start, start + size) of out = X·Mᵀ (t: X·M) for one size×size block M, in place of a copy. */
function stridedBlock(
  x: Float32Array,
  rows: number,
  cols: number,
  start: number,
  size: number,
  m: Float32Array,
  t: boolean,
  out: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols + start;
    for (let j = 0; j < size; j++) {
      let s = 0;
      // (X·Mᵀ)[r, j] = Σ_k X[r, k] M[j, k];  (X·M)[r, j] = Σ_k X[r, k] M[k, j]
      for (let k = 0; k < size; k++) s += x[o + k]! * m[t ? k * size + j : j * size + k]!;
      out[o + j] = s;
    }
  }
}

/**
 * θ2d = L·C·Rᵀ as one op with its adjoint as gradient (dC = Lᵀ·dθ·R), computed on the raw
 * arrays: TF.js's own transposes, slices and concatenations of these shapes cost far more than the
 * products (an 8×8-block DCT step went from ~13× to within 2× of a canonical one).
 */
function twoSided(left: Run[] | null, right: Run[] | null, rows: number, cols: number) {
  const buf = scratch();
  const apply = (x: Float32Array, t: boolean): tf.Tensor2D => {
    const out = alloc(rows * cols); // becomes the tensor's data; the pool takes it back on dispose
    // L·X then ·Rᵀ (t: Lᵀ·X then ·R; the two commute, both are applied to the same [rows, cols])
    const lx = left ? leftData(left, x, rows, cols, t, right ? buf('lx', rows * cols) : out) : x;
    if (right) rightData(right, lx, rows, cols, t, out, buf);
    return tf.tensor2d(out, [rows, cols]);
  };
  const values = (x: tf.Tensor) => valuesOf(x, tf.backend());
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: apply(values(args[0] as tf.Tensor), false),
    gradFunc: (dy: tf.Tensor) => apply(values(dy), true),
  })) as (c: tf.Tensor2D) => tf.Tensor2D;
}

export interface BasisReparam {
  reparam: (vars: ParamTensors) => ParamTensors;
  dispose(): void;
}

/**
 * θ = B(m ⊙ c) per prunable weight. With the identity basis this is θ = m ⊙ c exactly (no matMul),
 * so the trajectory equals the canonical run's bit for bit.
 */
export function basisReparam(basis: Basis, specs: readonly ParamSpec[], masks: Masks): BasisReparam {
  const consts: tf.Tensor[] = [];
  const runs = new Map<AxisTransform, Run[]>();
  const runsFor = (op: AxisTransform): Run[] | null => {
    if (!op) return null;
    if (!runs.has(op)) {
      runs.set(op, runsOf(op));
    }
    return runs.get(op)!;
  };
  const layers = new Map<
    string,
    {
      mask: tf.Tensor;
      rowsN: number;
      colsN: number;
      shape: number[];
      transform: ((c: tf.Tensor2D) => tf.Tensor2D) | null;
    }
  >();
  for (const s of specs) {
    if (!s.prunable) continue;
    const bm = basis.blockMatrices(s);
    const mask = tf.tensor(masks.get(s.name)!, s.shape);
    consts.push(mask);
    const left = runsFor(bm.leftBlocks);
    const right = runsFor(bm.rightBlocks);
    layers.set(s.name, {
      mask,
      rowsN: bm.rowsN,
      colsN: bm.colsN,
      shape: s.shape,
      transform: left || right ? twoSided(left, right, bm.rowsN, bm.colsN) : null,
    });
  }
  const reparam = (vars: ParamTensors): ParamTensors => {
    const out: ParamTensors = {};
    for (const [name, v] of Object.entries(vars)) {
      const l = layers.get(name);
      if (!l) {
        out[name] = v;
        continue;
      }
      const c = tf.mul(v, l.mask);
      out[name] = l.transform ? tf.reshape(l.transform(tf.reshape(c, [l.rowsN, l.colsN])), l.shape) : c;
    }
    return out;
  };
  return { reparam, dispose: () => consts.forEach((t) => t.dispose()) };
}

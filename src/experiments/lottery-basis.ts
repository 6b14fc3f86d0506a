/**
 * Tickets in another basis (Generalized LTH, papers.md §2): the net's prunable weights are
 * θ = B(m ⊙ c) with trainable coefficients c, written as θ2d = L·(m ⊙ C2d)·Rᵀ in TF.js from the
 * basis' block matrices, so that gradients flow to c. Biases and batch-norm parameters pass through.
 */
import { tf } from '../engine/index.js';
import { nativeAddon } from '../engine/native.js';
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
 * C[b] = op(A[b])·op(B[b]) for b < batch (a batch of 1 broadcasts): the native GEMM when the engine
 * is loaded, else a plain loop.
 */
function gemm(
  c: Float32Array,
  a: Float32Array,
  b: Float32Array,
  batchA: number,
  batchB: number,
  m: number,
  n: number,
  k: number,
  ta: boolean,
  tb: boolean,
): void {
  const nat = nativeAddon();
  if (nat) return nat.matmul(c, a, b, batchA, batchB, m, n, k, ta, tb, null, 0, 0, 0);
  const batch = Math.max(batchA, batchB);
  for (let p = 0; p < batch; p++) {
    const ao = batchA === 1 ? 0 : p * m * k;
    const bo = batchB === 1 ? 0 : p * k * n;
    const co = p * m * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++)
          s += a[ao + (ta ? q * m + i : i * k + q)]! * b[bo + (tb ? j * k + q : q * n + j)]!;
        c[co + i * n + j] = s;
      }
  }
}

function transposed(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
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
function leftData(runs: Run[], x: Float32Array, rows: number, cols: number, t: boolean): Float32Array {
  const out = new Float32Array(rows * cols);
  for (const { start, count, size, stacked } of runs) {
    const span = [start * cols, (start + count * size) * cols] as const;
    gemm(out.subarray(...span), stacked, x.subarray(...span), count, count, size, cols, size, t, false);
  }
  return out;
}

/** Columns [start, start + w) of row-major X [rows, cols], as a contiguous [rows, w] (row-wise copies). */
function columns(x: Float32Array, rows: number, cols: number, start: number, w: number): Float32Array {
  if (start === 0 && w === cols) return x;
  const out = new Float32Array(rows * w);
  for (let i = 0; i < rows; i++) out.set(x.subarray(i * cols + start, i * cols + start + w), i * w);
  return out;
}

/**
 * X·opᵀ (t: X·op) for row-major X [rows, cols], op block-diagonal along the columns, run by run.
 * A run of one shared block R_b (the DCT) is one GEMM with no transpose — its columns read as
 * [rows·count, size] times R_bᵀ, the Kronecker form X·(I ⊗ R_b)ᵀ; a run of distinct blocks (the
 * orthogonal basis) is (op·Xᵀ)ᵀ through two loop transposes.
 */
function rightData(runs: Run[], x: Float32Array, rows: number, cols: number, t: boolean): Float32Array {
  const out = runs.length === 1 ? null : new Float32Array(rows * cols);
  for (const run of runs) {
    const { start, count, size, stacked, shared } = run;
    const w = count * size;
    const part = columns(x, rows, cols, start, w);
    let y: Float32Array;
    if (shared) {
      y = new Float32Array(rows * w);
      gemm(y, part, stacked.subarray(0, size * size), 1, 1, rows * count, size, size, false, !t);
    } else {
      const own = [{ ...run, start: 0 }];
      y = transposed(leftData(own, transposed(part, rows, w), w, rows, t), w, rows);
    }
    if (!out) return y;
    for (let i = 0; i < rows; i++) out.set(y.subarray(i * w, (i + 1) * w), i * cols + start);
  }
  return out!;
}

/**
 * θ2d = L·C·Rᵀ as one op with its adjoint as gradient (dC = Lᵀ·dθ·R), computed on the raw
 * arrays: TF.js's own transposes, slices and concatenations of these shapes cost far more than the
 * products (an 8×8-block DCT step went from ~13× to within 2× of a canonical one).
 */
function twoSided(left: Run[] | null, right: Run[] | null, rows: number, cols: number) {
  const apply = (x: Float32Array, t: boolean) => {
    let y = x;
    if (left) y = leftData(left, y, rows, cols, t);
    if (right) y = rightData(right, y, rows, cols, t);
    return y;
  };
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const c = args[0] as tf.Tensor2D;
    return {
      value: tf.tensor2d(apply(c.dataSync() as Float32Array, false), [rows, cols]),
      gradFunc: (dy: tf.Tensor) => tf.tensor2d(apply(dy.dataSync() as Float32Array, true), [rows, cols]),
    };
  }) as (c: tf.Tensor2D) => tf.Tensor2D;
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

/**
 * Tickets in another basis (Generalized LTH, papers.md §2): the net's prunable weights are
 * θ = B(m ⊙ c) with trainable coefficients c, written as θ2d = L·(m ⊙ C2d)·Rᵀ in TF.js from the
 * basis' block matrices, so that gradients flow to c. Biases and batch-norm parameters pass through.
 */
import { tf } from '../engine/index.js';
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

/** op·X (op = block-diagonal, null = identity) for X [rows, cols]: one batched matMul per run of equal-sized blocks. */
function applyLeft(
  op: AxisTransform,
  x: tf.Tensor2D,
  blocks: Map<AxisTransform, { start: number; count: number; size: number; m: tf.Tensor3D }[]>,
): tf.Tensor2D {
  if (!op) return x;
  const cols = x.shape[1];
  const parts = blocks.get(op)!.map(({ start, count, size, m }) => {
    const xs = tf.reshape(tf.slice(x, [start, 0], [count * size, cols]), [count, size, cols]);
    return tf.reshape(tf.matMul(m, xs), [count * size, cols]);
  });
  return parts.length === 1 ? (parts[0] as tf.Tensor2D) : (tf.concat(parts, 0) as tf.Tensor2D);
}

/** Groups consecutive blocks of the same size, stacking their matrices as one [count, size, size] constant. */
function stackBlocks(op: AxisTransform): { start: number; count: number; size: number; m: tf.Tensor3D }[] {
  if (!op) return [];
  const runs: { start: number; size: number; mats: Float64Array[] }[] = [];
  for (const b of op.blocks) {
    const last = runs.at(-1);
    if (last && last.size === b.size) last.mats.push(b.matrix);
    else runs.push({ start: b.start, size: b.size, mats: [b.matrix] });
  }
  return runs.map(({ start, size, mats }) => {
    const data = new Float32Array(mats.length * size * size);
    mats.forEach((m, i) => data.set(m, i * size * size));
    return { start, count: mats.length, size, m: tf.tensor3d(data, [mats.length, size, size]) };
  });
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
  const blocks = new Map<AxisTransform, { start: number; count: number; size: number; m: tf.Tensor3D }[]>();
  const layers = new Map<
    string,
    {
      mask: tf.Tensor;
      rowsN: number;
      colsN: number;
      left: AxisTransform;
      right: AxisTransform;
      shape: number[];
    }
  >();
  for (const s of specs) {
    if (!s.prunable) continue;
    const bm = basis.blockMatrices(s);
    const mask = tf.tensor(masks.get(s.name)!, s.shape);
    consts.push(mask);
    for (const op of [bm.leftBlocks, bm.rightBlocks]) {
      if (op && !blocks.has(op)) {
        const stacked = stackBlocks(op);
        blocks.set(op, stacked);
        consts.push(...stacked.map((b) => b.m));
      }
    }
    layers.set(s.name, {
      mask,
      rowsN: bm.rowsN,
      colsN: bm.colsN,
      left: bm.leftBlocks,
      right: bm.rightBlocks,
      shape: s.shape,
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
      if (!l.left && !l.right) {
        out[name] = c;
        continue;
      }
      // θ2d = L·C2d·Rᵀ; X·Rᵀ = (R·Xᵀ)ᵀ reuses the left product.
      const lc = applyLeft(l.left, tf.reshape(c, [l.rowsN, l.colsN]), blocks);
      const theta = l.right ? tf.transpose(applyLeft(l.right, tf.transpose(lc), blocks)) : lc;
      out[name] = tf.reshape(theta, l.shape);
    }
    return out;
  };
  return { reparam, dispose: () => consts.forEach((t) => t.dispose()) };
}

/**
 * Small array products and element-wise updates outside TF.js's kernels, on the addon when it is
 * loaded and in plain JS otherwise: the training loop's masking, the basis transforms' products.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeAddon } from './native.js';
import { BINARY_OPS } from './kernels/names.js';

/** a ⊙= m in place: the addon's element-wise product (mode 0: equal lengths) when loaded. */
export function multiplyInPlace(a: Float32Array, m: Float32Array): void {
  const nat = nativeAddon();
  if (nat && a.length === m.length) return nat.binary(a, a, m, { op: BINARY_OPS[tf.Multiply], mode: 0 });
  for (let i = 0; i < a.length; i++) a[i]! *= m[i]!;
}

/** The native matmul's impl 1: OpenBLAS on the calling thread. */
const ONE_BLAS_THREAD = 1;

/**
 * C[b] = op(A[b])·op(B[b]) for b < batch (a batch of 1 broadcasts), serial on the calling thread:
 * the native GEMM on one OpenBLAS thread when the addon is loaded, else a plain loop. For small
 * products, where an OpenMP team costs more than the product (lottery-basis.ts).
 */
export function serialGemm(
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
  if (nat)
    return nat.matmul(c, a, b, null, {
      m,
      n,
      k,
      batchA,
      batchB,
      transA: ta,
      transB: tb,
      impl: ONE_BLAS_THREAD,
    });
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

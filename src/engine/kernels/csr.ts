/**
 * Compressed index sets of a mask, shared by the sparse dense-layer and convolution structures: the
 * active positions, and those positions grouped by a key (a CSR row per output, or per input).
 */

/** The positions where the mask is non-zero, ascending. */
export function nonzeroPositions(mask: Float32Array): Int32Array {
  let nnz = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) nnz++;
  const active = new Int32Array(nnz);
  let j = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) active[j++] = i;
  return active;
}

/**
 * `active` grouped into `rows` CSR rows by `row(i)`, each entry stored as `value(i)`; within a row
 * the entries keep the ascending order of `active` (a counting sort). `slot[j]` is where active[j]
 * landed in the CSR.
 */
export function groupCsr(
  active: Int32Array,
  rows: number,
  row: (i: number) => number,
  value: (i: number) => number,
): { ptr: Int32Array; idx: Int32Array; slot: Int32Array } {
  const ptr = new Int32Array(rows + 1);
  for (const i of active) ptr[row(i) + 1]!++;
  for (let r = 0; r < rows; r++) ptr[r + 1]! += ptr[r]!;
  const cursor = ptr.slice(0, rows);
  const idx = new Int32Array(active.length);
  const slot = new Int32Array(active.length);
  for (let j = 0; j < active.length; j++) {
    const i = active[j]!;
    const q = (slot[j] = cursor[row(i)]!++);
    idx[q] = value(i);
  }
  return { ptr, idx, slot };
}

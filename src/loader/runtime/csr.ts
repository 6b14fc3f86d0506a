/**
 * A Dense or Conv2D kernel as CSR with one row per output (the kernel's last axis), built once at
 * load from the decoded nonzeros. Each nonzero keeps its value and the offset of the input it
 * multiplies, so the kernels need no index arithmetic.
 */
import type { SparseTensor } from '../decode.js';

export interface Csr {
  rows: number;
  rowptr: Int32Array;
  /** Input offset of each nonzero, ascending within a row (the order the kernels read memory in). */
  off: Int32Array;
  val: Float32Array;
}

/**
 * `offsetOf(r)` maps r, the flat index of a nonzero without its last axis (the output), to the
 * input offset it multiplies. Stored zeros (a tensor kept dense) are dropped: they add nothing.
 */
export function csrOf(t: SparseTensor, offsetOf: (r: number) => number): Csr {
  const rows = t.shape.at(-1)!;
  const rowptr = new Int32Array(rows + 1);
  for (let j = 0; j < t.values.length; j++) if (t.values[j] !== 0) rowptr[(t.indices[j]! % rows) + 1]!++;
  for (let o = 0; o < rows; o++) rowptr[o + 1]! += rowptr[o]!;
  const nnz = rowptr[rows]!;
  const off = new Int32Array(nnz);
  const val = new Float32Array(nnz);
  const fill = rowptr.slice(0, rows);
  for (let j = 0; j < t.values.length; j++) {
    if (t.values[j] === 0) continue;
    const o = t.indices[j]! % rows;
    const at = fill[o]!++;
    off[at] = offsetOf(Math.floor(t.indices[j]! / rows));
    val[at] = t.values[j]!;
  }
  sortRows(rowptr, off, val);
  return { rows, rowptr, off, val };
}

/** Sorts each row's nonzeros by offset (a conv's natural order is tap-major, its memory channel-major). */
function sortRows(rowptr: Int32Array, off: Int32Array, val: Float32Array): void {
  for (let o = 0; o + 1 < rowptr.length; o++) {
    const a = rowptr[o]!;
    const b = rowptr[o + 1]!;
    const order = Array.from({ length: b - a }, (_, i) => a + i).sort((i, j) => off[i]! - off[j]!);
    const o2 = order.map((i) => off[i]!);
    const v2 = order.map((i) => val[i]!);
    off.set(o2, a);
    val.set(v2, a);
  }
}

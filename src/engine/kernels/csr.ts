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

/** The mask, when it has one entry per weight of `shape`. */
export function maskOf(mask: Float32Array, shape: readonly number[], what: string): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (mask.length !== n) throw new Error(`mask has ${mask.length} entries, the ${what} ${shape.join('×')}`);
  return mask;
}

/**
 * A sparse layer's active connections as compressed rows two ways (the linear and conv structures
 * extend it): by output (the forward pass, and the conv's weight gradient) and by input (the input
 * gradient, and the linear weight gradient). `active` lists the mask's non-zero positions, ascending.
 */
export abstract class CompressedRows {
  readonly active: Int32Array;
  readonly outPtr: Int32Array;
  readonly outIdx: Int32Array;
  readonly inPtr: Int32Array;
  readonly inIdx: Int32Array;
  /** outSlot[j]: the by-output CSR index of active[j]. */
  readonly outSlot: Int32Array;

  /** `outputOf`/`inputOf`: a position's output and input; `valueOf`: what its rows store. */
  protected constructor(
    mask: Float32Array,
    rows: { outputs: number; inputs: number },
    outputOf: (i: number) => number,
    inputOf: (i: number) => number,
    valueOf: { byOutput: (i: number) => number; byInput: (i: number) => number },
  ) {
    this.active = nonzeroPositions(mask);
    const byOutput = groupCsr(this.active, rows.outputs, outputOf, valueOf.byOutput);
    const byInput = groupCsr(this.active, rows.inputs, inputOf, valueOf.byInput);
    [this.outPtr, this.outIdx, this.outSlot] = [byOutput.ptr, byOutput.idx, byOutput.slot];
    [this.inPtr, this.inIdx] = [byInput.ptr, byInput.idx];
  }

  /** Weights in the dense layer. */
  protected abstract get size(): number;

  get nnz(): number {
    return this.active.length;
  }

  get density(): number {
    return this.size === 0 ? 1 : this.nnz / this.size;
  }
}

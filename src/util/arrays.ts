/** Deep copies of named arrays (weights, masks, gradients): one home for the copy every layer needs. */

/** A copy of each array, under the same names. */
export function cloneArrays<K>(arrays: Map<K, Float32Array>): Map<K, Float32Array> {
  return new Map([...arrays].map(([name, a]) => [name, a.slice()]));
}

/**
 * The sizes a sparse file declares, checked against the file and against a limit before the loader
 * allocates anything: a hand-made file with valid CRCs can declare any shape. Browser-safe.
 */
import { valueBytes, type SparseManifest, type TensorEntry } from './format.js';

/**
 * Default for `maxBytes`: the most bytes of weights a load may read or allocate (the file's payload,
 * and the model's dense fp32 weights). 256 MiB is 64 M parameters, over four VGG-16s.
 */
export const DEFAULT_MAX_BYTES = 256 * 2 ** 20;

export interface SizeLimits {
  /** The most bytes of weights to read or allocate (default DEFAULT_MAX_BYTES). */
  maxBytes?: number;
}

/** Elements of a shape (a double: a product past 2^53 is only compared with the limit). */
export const elementsOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

const mib = (b: number) => (b < 2 ** 60 ? `${(b / 2 ** 20).toFixed(1)} MiB` : 'over an exabyte');

/** What is wrong with one tensor's declared sizes, given where the previous one ended; undefined if nothing. */
function entryProblem(e: TensorEntry, at: number): string | undefined {
  const n = elementsOf(e.shape);
  const t = `tensor ${e.name}`;
  if (e.offset !== at)
    return `${t} starts at payload byte ${e.offset}, but the tensor before it ends at ${at}`;
  if (e.nnz > n) return `${t} stores ${e.nnz} elements, more than its shape [${e.shape}] holds (${n})`;
  if (e.valueBytes !== e.nnz * valueBytes(e.values))
    return `${t} declares ${e.valueBytes} bytes of values for ${e.nnz} ${e.values} values (${e.nnz * valueBytes(e.values)} expected)`;
  if (e.layout === 'dense' && e.nnz !== n) return `dense ${t} stores ${e.nnz} of its ${n} elements`;
  const positions = { dense: 0, bitmask: Math.ceil(n / 8), gaps: undefined }[e.layout];
  if (positions !== undefined && e.positionBytes !== positions)
    return `${t} declares ${e.positionBytes} bytes of ${e.layout} positions (${positions} expected)`;
  if (e.layout === 'gaps' && e.positionBytes < e.nnz)
    return `${t} declares ${e.positionBytes} bytes of index gaps for ${e.nnz} elements (at least one each)`;
  const channels = e.shape.at(-1) ?? 1;
  const scales = e.scaleCount ?? 0;
  if (e.values === 'int8' ? scales !== 1 && scales !== channels : scales !== 0)
    return `${t} has ${scales} scales (int8 takes 1 or one per output channel, ${channels}; fp32 and fp16 none)`;
  return undefined;
}

/** The limit's problem with a schema-valid manifest: its dense weights or its payload over it; undefined if none. */
export function limitProblem(
  m: SparseManifest,
  payloadBytes: number,
  limits: SizeLimits = {},
): string | undefined {
  const max = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const dense = 4 * m.weights.reduce((a, e) => a + elementsOf(e.shape), 0);
  if (dense <= max && payloadBytes <= max) return undefined;
  const big = m.weights.reduce<TensorEntry | undefined>(
    (a, e) => (!a || elementsOf(e.shape) > elementsOf(a.shape) ? e : a),
    undefined,
  );
  const largest = big ? ` (the largest, ${big.name}, has shape [${big.shape}])` : '';
  return `its weights take ${mib(Math.max(dense, payloadBytes))} as dense fp32${largest}, over the loader's limit of ${mib(max)} (maxBytes)`;
}

/**
 * What is wrong with a schema-valid manifest's sizes: a tensor whose parts do not tile the payload
 * exactly (in order, no gaps, no overlap) or do not fit its shape; undefined if nothing.
 */
export function sizeProblem(m: SparseManifest, payloadBytes: number): string | undefined {
  let at = 0;
  for (const e of m.weights) {
    const problem = entryProblem(e, at);
    if (problem) return problem;
    at = e.offset + e.positionBytes + 4 * (e.scaleCount ?? 0) + e.valueBytes;
    if (at > payloadBytes) return `tensor ${e.name} ends at byte ${at}, past the payload's ${payloadBytes}`;
  }
  if (at !== payloadBytes) return `its tensors take ${at} of the payload's ${payloadBytes} bytes`;
  return undefined;
}

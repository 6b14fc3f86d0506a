/**
 * RigL Alg. 1's mask change in one layer (shared by RigL, SET and SNFS), done in place over reused
 * buffers: drop-and-grow runs every ΔT steps over every weight of a layer, and the megabytes of
 * fresh arrays it used to make each time kept V8's collector marking through the following steps.
 */
import { forLowestK, scoreOf } from './prune.js';

let positions = new Int32Array(0);
let keys = new Float64Array(0);

function buffers(n: number): { pos: Int32Array; key: Float64Array } {
  if (positions.length < n) [positions, keys] = [new Int32Array(n), new Float64Array(n)];
  return { pos: positions, key: keys };
}

/**
 * Drops the k active weights of smallest |θ| (set to zero, mask 0), then grows the k candidates
 * (inactive connections, just-dropped ones included) with the highest `grow` score (mask 1, θ = 0).
 * The active count stays the same. Choices and ties as pruneByScores then maskFromScores: a lower
 * score goes first, NaN lowest, and among equal scores the later position. Returns the grown positions.
 */
export function dropAndGrow(mask: Float32Array, w: Float32Array, k: number, grow: Float32Array): number[] {
  const { pos, key } = buffers(mask.length);
  let a = 0;
  for (let i = 0; i < mask.length; i++)
    if (mask[i] !== 0) {
      pos[a] = i;
      key[a++] = scoreOf(Math.abs(w[i]!));
    }
  forLowestK(key.subarray(0, a), k, (j) => {
    mask[pos[j]!] = 0;
    w[pos[j]!] = 0;
  });
  let c = 0;
  for (let i = 0; i < mask.length; i++)
    if (mask[i] === 0) {
      pos[c] = i;
      key[c++] = scoreOf(grow[i]!);
    }
  // every candidate but the c − k lowest grows
  forLowestK(key.subarray(0, c), c - k, (j) => (pos[j] = -1));
  const grown: number[] = [];
  for (let j = 0; j < c; j++) {
    const i = pos[j]!;
    if (i < 0) continue;
    mask[i] = 1;
    w[i] = 0;
    grown.push(i);
  }
  return grown;
}

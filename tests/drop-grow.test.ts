import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dropAndGrow } from '../src/sparsity/index.js';

test('dropAndGrow: drops the smallest |θ|, grows the best candidate, a just-dropped one included', () => {
  const mask = new Float32Array([1, 1, 1, 0, 0, 0]);
  const w = new Float32Array([0.5, -0.1, 0.3, 0, 0, 0]);
  // position 1 (|θ| = 0.1) is dropped and, with the best grow score, regrown at zero
  const grown = dropAndGrow(mask, w, 1, new Float32Array([0, 9, 0, 2, 2, 1]));
  assert.deepEqual(grown, [1]);
  assert.deepEqual([...mask], [1, 1, 1, 0, 0, 0]);
  assert.deepEqual(w, new Float32Array([0.5, 0, 0.3, 0, 0, 0]));
});

test('dropAndGrow: ties grow the earlier position, NaN weights drop first, the active count stays', () => {
  const mask = new Float32Array([1, 1, 1, 1, 0, 0, 0]);
  const w = new Float32Array([0.2, NaN, -0.2, 0.7, 0, 0, 0]);
  // drop 2: NaN (lowest), then of the tied 0.2s the later position (2); grow 2: the tied 5s at 4 and
  // 6 both beat 1, and the candidates 1 and 2 (just dropped) score lower than them
  const grown = dropAndGrow(mask, w, 2, new Float32Array([0, 3, 1, 0, 5, 1, 5]));
  assert.deepEqual(grown, [4, 6]);
  assert.deepEqual([...mask], [1, 0, 0, 1, 1, 0, 1]);
  assert.deepEqual(w, new Float32Array([0.2, 0, 0, 0.7, 0, 0, 0]));
});

test('dropAndGrow: k = active replaces every connection; equal grow scores keep the lowest positions', () => {
  const mask = new Float32Array([0, 1, 0, 1]);
  const w = new Float32Array([0, 0.4, 0, -0.3]);
  const grown = dropAndGrow(mask, w, 2, new Float32Array([1, 1, 1, 1]));
  assert.deepEqual(grown, [0, 1]);
  assert.deepEqual([...mask], [1, 1, 0, 0]);
  assert.deepEqual(w, new Float32Array([0, 0, 0, 0]));
});

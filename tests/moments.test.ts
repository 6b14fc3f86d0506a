import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Moments } from '../src/training/moments.js';
import { Sgd } from '../src/training/optimizers.js';

test('moments: a dense buffer gathered to the active weights, carried across a mask change, spread for checkpoints', () => {
  const m = new Moments();
  m.dense('w', 6).set([1, 2, 3, 4, 5, 6]);
  const a1 = Int32Array.from([1, 3, 4]);
  assert.deepEqual([...m.sparse('w', a1, 6)], [2, 4, 5]);
  m.sparse('w', a1, 6)[2] = 50; // the same active set: the same buffer
  // connection 3 dropped and regrown (reset), 4 kept, 0 and 5 new
  m.reset('w', [3, 0]);
  assert.deepEqual([...m.sparse('w', Int32Array.from([0, 3, 4, 5]), 6)], [0, 0, 50, 0]);
  assert.deepEqual(m.entries('v/'), [['v/w', new Float32Array([0, 0, 0, 0, 50, 0])]]);
  assert.deepEqual([...m.dense('w', 6)], [0, 0, 0, 0, 50, 0]);
});

test('moments: a checkpoint loads back in the dense layout and re-gathers', () => {
  const m = new Moments();
  m.load(
    'v/',
    new Map([
      ['v/w', new Float32Array([9, 8, 7])],
      ['m/w', new Float32Array([1, 1, 1])],
    ]),
  );
  assert.deepEqual([...m.sparse('w', Int32Array.from([0, 2]), 3)], [9, 7]);
  assert.deepEqual(m.entries('v/'), [['v/w', new Float32Array([9, 0, 7])]]);
});

test('sgd: a sparse layer keeps one velocity entry per active weight, same steps as the dense layout', () => {
  const w = new Float32Array([0.5, 0, -0.25, 0]);
  const wd = w.slice();
  const g = new Float32Array([0.1, 0, 0.2, 0]);
  const mask = new Float32Array([1, 0, 1, 0]);
  const [sparse, dense] = [
    new Sgd({ momentum: 0.9, nesterov: false, weightDecay: 0 }),
    new Sgd({ momentum: 0.9, nesterov: false, weightDecay: 0 }),
  ];
  for (let step = 0; step < 2; step++) {
    sparse.updateActive('w', w, g, 0.5, Int32Array.from([0, 2]));
    dense.update('w', wd, g, 0.5, mask);
  }
  // v = 0.1, then 0.19; w = 0.5 − 0.5·0.1 − 0.5·0.19 = 0.355 (and −0.25 − 0.5·0.2 − 0.5·0.38 = −0.54)
  assert.deepEqual(w, wd);
  assert.ok(Math.abs(w[0]! - 0.355) < 1e-7 && Math.abs(w[2]! + 0.54) < 1e-7);
  assert.deepEqual(sparse.state().buffers.get('v/w'), dense.state().buffers.get('v/w'));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParamSpec } from '../src/models/types.js';
import { denseForwardFlops, gmpStepFlops, sparseForwardFlops } from '../src/sparsity/flops.js';
import { methodDef, type Schedules } from '../src/algorithms/index.js';
import { bias, conv, dense } from './spec-fixtures.js';

// Tiny net: conv 3×3, 1→2 channels on a 2×2 output map (each weight used 4 times), then dense 8→3.
const specs: ParamSpec[] = [
  conv('c1.weight', 3, 3, 1, 2, 4),
  { ...bias('c1.bias', 2), usesPerExample: 4 },
  dense('fc.weight', 8, 3, true),
  bias('fc.bias', 3),
];
const masks = new Map([
  ['c1.weight', Float32Array.from({ length: 18 }, (_, i) => (i < 9 ? 1 : 0))],
  ['fc.weight', Float32Array.from({ length: 24 }, (_, i) => (i % 4 === 0 ? 1 : 0))],
]);

test('forward FLOPs by hand: 2·uses·active, biases only when asked', () => {
  assert.equal(denseForwardFlops(specs), 2 * 4 * 18 + 2 * 1 * 24); // 192
  assert.equal(denseForwardFlops(specs, { includeNonPrunable: true }), 192 + 4 * 2 + 1 * 3); // 203
  assert.equal(sparseForwardFlops(specs, masks), 2 * 4 * 9 + 2 * 6); // 84
  assert.equal(
    sparseForwardFlops(
      specs,
      new Map([
        ['c1.weight', 0.5],
        ['fc.weight', 0.25],
      ]),
    ),
    84,
  );
  assert.equal(sparseForwardFlops(specs, masks, { includeNonPrunable: true }), 95);
  assert.equal(sparseForwardFlops(specs, new Map()), 192); // no mask: dense
});

test("training FLOPs per example per step (RigL App. H), from each method's own stepFlops", () => {
  const x = { specs, finalMasks: masks, fD: 192, fS: 84, totalSteps: 10 };
  const drop = (deltaT: number): Schedules => ({ drop: { dropFraction: 0.3, deltaT, tEnd: 10 } });
  const flops = (method: string, schedules: Schedules = {}) =>
    methodDef(method).stepFlops({ ...x, schedules });
  assert.equal(methodDef('dense').stepFlops({ ...x, fS: 192, schedules: {} }), 576);
  assert.equal(flops('static'), 252);
  assert.equal(flops('set', drop(1)), 252);
  assert.equal(flops('snip'), 252);
  assert.equal(flops('snfs', drop(1)), 360);
  assert.equal(flops('rigl', drop(1)), (252 + 168 + 192) / 2);
  assert.ok(Math.abs(flops('rigl', drop(100)) - 25560 / 101) < 1e-9);
  assert.throws(() => flops('rigl'), /ΔT/);
  // GMP 0 → 0.5 between steps 2 and 6 every 2, 10 steps: s_t = 0,0,0,0,.4375,.4375,.5,.5,.5,.5
  const gmp = { finalSparsity: 0.5, begin: 2, end: 6, frequency: 2 };
  assert.ok(Math.abs(gmpStepFlops(192, gmp, 10) - (3 * 192 * 7.125) / 10) < 1e-9);
  const plan = { begin: 2, end: 6, frequency: 2, initialSparsity: 0 };
  const viaMethod = methodDef('gmp').stepFlops({ ...x, fS: 96, schedules: { gmp: plan } });
  assert.ok(Math.abs(viaMethod - (3 * 192 * 7.125) / 10) < 1e-9, 'final sparsity 1 − f_S/f_D = 0.5');
});

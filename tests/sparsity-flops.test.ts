import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParamSpec } from '../src/models/types.js';
import {
  denseForwardFlops,
  flopsReport,
  sparseForwardFlops,
  trainingFlopsPerExample,
} from '../src/sparsity/flops.js';
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

test('training FLOPs per example per step (RigL App. H)', () => {
  const x = { fD: 192, fS: 84 };
  assert.equal(trainingFlopsPerExample('dense', x), 576);
  assert.equal(trainingFlopsPerExample('static', x), 252);
  assert.equal(trainingFlopsPerExample('set', x), 252);
  assert.equal(trainingFlopsPerExample('snip', x), 252);
  assert.equal(trainingFlopsPerExample('snfs', x), 360);
  assert.equal(trainingFlopsPerExample('rigl', { ...x, deltaT: 1 }), (252 + 168 + 192) / 2);
  assert.ok(Math.abs(trainingFlopsPerExample('rigl', { ...x, deltaT: 100 }) - 25560 / 101) < 1e-9);
  assert.throws(() => trainingFlopsPerExample('rigl', x), /ΔT/);
  // GMP 0 → 0.5 between steps 2 and 6 every 2, 10 steps: s_t = 0,0,0,0,.4375,.4375,.5,.5,.5,.5
  const gmp = { finalSparsity: 0.5, begin: 2, end: 6, frequency: 2 };
  assert.ok(
    Math.abs(trainingFlopsPerExample('gmp', { ...x, gmp, totalSteps: 10 }) - (3 * 192 * 7.125) / 10) < 1e-9,
  );
});

test('flopsReport gives fractions of dense', () => {
  const r = flopsReport(specs, masks, 'rigl', { deltaT: 1 });
  assert.equal(r.denseForward, 192);
  assert.equal(r.inference, 84);
  assert.equal(r.inferenceFraction, 84 / 192);
  assert.equal(r.training, 306);
  assert.equal(r.trainingFraction, 306 / 576);
  const d = flopsReport(specs, masks, 'dense');
  assert.equal(d.trainingFraction, 1);
  assert.equal(d.inferenceFraction, 1);
});

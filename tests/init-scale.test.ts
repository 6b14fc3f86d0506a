/**
 * Defect: unit_scaled (dst, SNIP) drew var = 1/fan while the dense and layer_scaled inits are He
 * (2/fan) and gradflow used 2, so init comparisons were confounded. One scale for all, as rigl_tf2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sparseInit, INIT_SCALE } from '../src/sparsity/init.js';
import { denseMasks, maskedFanIn } from '../src/sparsity/index.js';
import { initParams } from '../src/models/layers.js';
import { normaliseDst, planDst, dstHparamsSchema } from '../src/experiments/dst.js';
import { validate } from '../src/experiments/hparams.js';
import { Rng } from '../src/util/rng.js';
import { dense } from './spec-fixtures.js';

/** Mean over active weights of w²·(masked fan-in of its unit): the init's scale. */
function scaleOf(w: Float32Array, m: Float32Array, fanIn: Float64Array): number {
  const out = fanIn.length;
  let s = 0;
  let n = 0;
  for (let i = 0; i < w.length; i++) {
    if (!m[i]) continue;
    s += w[i]! ** 2 * fanIn[i % out]!;
    n++;
  }
  return s / n;
}

test('under a full mask, dense, layer_scaled and unit_scaled draw from the same variance (He, 2/fan_in)', () => {
  const specs = [dense('fc', 1000, 50)];
  const m = denseMasks(specs);
  const fin = maskedFanIn(specs[0]!, m.get('fc')!);
  assert.equal(INIT_SCALE, 2);
  for (const method of ['dense', 'layer_scaled', 'unit_scaled'] as const) {
    const w = sparseInit(specs, initParams(specs, new Rng(3)), m, method, new Rng(4)).get('fc')!;
    const k = scaleOf(w, m.get('fc')!, fin);
    assert.ok(Math.abs(k - INIT_SCALE) < 0.1, `${method}: var·fan_in = ${k}`);
  }
});

test('sprig dst and SNIP with --init unit_scaled draw var = 2 / masked fan-in', () => {
  for (const method of ['static', 'snip']) {
    const plan = planDst({
      dataset: { name: 'synthetic' },
      model: { name: 'mlp_32' },
      training: { trainSteps: '1ep', batchSize: 64 },
      dst: { method, sparsity: 0.5, distribution: 'uniform', denseFirstLayer: false, init: 'unit_scaled' },
    });
    if (method === 'snip') continue; // SNIP draws at its first step; its config carries the scale
    const spec = plan.setup.model.specs.find((s) => s.prunable && !s.isOutput)!;
    const m = plan.masks!.get(spec.name)!;
    const k = scaleOf(plan.init.get(spec.name)!, m, maskedFanIn(spec, m));
    assert.ok(Math.abs(k - INIT_SCALE) < 0.35, `${method}: var·fan_in = ${k}`);
  }
});

test('a unit_scaled dst run id carries the scale (old scale-1 runs are not reused); other inits keep their ids', () => {
  const hp = (init: string) => normaliseDst(validate(dstHparamsSchema, { dst: { method: 'rigl', init } }));
  assert.equal(hp('unit_scaled').dst.initScale, INIT_SCALE);
  assert.equal(hp('dense').dst.initScale, undefined);
  assert.equal(hp('layer_scaled').dst.initScale, undefined);
});

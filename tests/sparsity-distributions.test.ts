import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layerDensities, overallSparsity } from '../src/sparsity/distributions.js';
import { SprigError } from '../src/util/errors.js';

import { bias, conv as convSpec, dense } from './spec-fixtures.js';
const conv = (name: string, k: number, cin: number, cout: number) => convSpec(name, k, k, cin, cout, 16);
const lenet = [
  dense('fc1.weight', 784, 300),
  bias('fc1.bias', 300),
  dense('fc2.weight', 300, 100),
  bias('fc2.bias', 100),
  dense('fc3.weight', 100, 10, true),
  bias('fc3.bias', 10),
];
const round4 = (m: Map<string, number>) => [...m.values()].map((v) => Number(v.toFixed(4)));

test('ERK pins on LeNet-300-100 (RigL get_sparsities_erdos_renyi)', () => {
  assert.deepEqual(
    round4(layerDensities(lenet, { distribution: 'erk', sparsity: 0.9 })),
    [0.0796, 0.2302, 1.0],
  );
  assert.deepEqual(
    round4(layerDensities(lenet, { distribution: 'erk', sparsity: 0.8 })),
    [0.1622, 0.4694, 1.0],
  );
  assert.deepEqual(
    round4(layerDensities(lenet, { distribution: 'erk', sparsity: 0.98 })),
    [0.0154, 0.0445, 0.3674],
  );
  // keys are the prunable weights in model order; biases are not part of it
  assert.deepEqual(
    [...layerDensities(lenet, { distribution: 'erk', sparsity: 0.9 }).keys()],
    ['fc1.weight', 'fc2.weight', 'fc3.weight'],
  );
});

test('ERK and ER meet the overall target over prunable weights', () => {
  for (const distribution of ['er', 'erk'] as const) {
    for (const sparsity of [0.5, 0.8, 0.9, 0.95, 0.98]) {
      const d = layerDensities(lenet, { distribution, sparsity });
      assert.ok(Math.abs(overallSparsity(lenet, d) - sparsity) < 1e-4, `${distribution} ${sparsity}`);
      for (const v of d.values()) assert.ok(v > 0 && v <= 1);
    }
  }
});

test('ER ignores the kernel dims, ERK counts them', () => {
  const specs = [
    conv('c1.weight', 3, 16, 32),
    conv('c2.weight', 5, 32, 32),
    dense('fc.weight', 512, 10, true),
  ];
  const er = layerDensities(specs, { distribution: 'er', sparsity: 0.9 });
  const erk = layerDensities(specs, { distribution: 'erk', sparsity: 0.9 });
  // ER: raw = (cin+cout)/(cin·cout) → c1 raw = 48/512, c2 raw = 64/1024: ratio of densities = raw ratio
  assert.ok(Math.abs(er.get('c1.weight')! / er.get('c2.weight')! - 48 / 512 / (64 / 1024)) < 1e-9);
  // ERK: raw = (3+3+16+32)/(9·512) vs (5+5+32+32)/(25·1024)
  const r1 = 54 / (9 * 512);
  const r2 = 74 / (25 * 1024);
  assert.ok(Math.abs(erk.get('c1.weight')! / erk.get('c2.weight')! - r1 / r2) < 1e-9);
});

test('ERK powerScale changes the spread but keeps the target', () => {
  const d = layerDensities(lenet, { distribution: 'erk', sparsity: 0.9, powerScale: 0.5 });
  assert.ok(Math.abs(overallSparsity(lenet, d) - 0.9) < 1e-4);
  assert.notEqual(d.get('fc1.weight')!.toFixed(4), '0.0796');
});

test('uniform keeps the first layer dense by default (RigL), optional', () => {
  assert.deepEqual(round4(layerDensities(lenet, { distribution: 'uniform', sparsity: 0.9 })), [1, 0.1, 0.1]);
  assert.deepEqual(
    round4(layerDensities(lenet, { distribution: 'uniform', sparsity: 0.9, denseFirstLayer: false })),
    [0.1, 0.1, 0.1],
  );
});

test('fixed densities under ERK: the others share what is left, target still met', () => {
  const d = layerDensities(lenet, { distribution: 'erk', sparsity: 0.98, densities: { 'fc3.weight': 1 } });
  assert.equal(d.get('fc3.weight'), 1);
  assert.ok(Math.abs(overallSparsity(lenet, d) - 0.98) < 1e-4);
  assert.ok(d.get('fc1.weight')! < 0.0154);
});

test('custom densities by name', () => {
  const d = layerDensities(lenet, {
    distribution: 'custom',
    sparsity: 0,
    densities: new Map([
      ['fc1.weight', 0.01],
      ['fc2.weight', 0.1],
      ['fc3.weight', 1],
    ]),
  });
  assert.deepEqual([...d.values()], [0.01, 0.1, 1]);
  assert.throws(
    () => layerDensities(lenet, { distribution: 'custom', sparsity: 0, densities: { 'fc1.weight': 0.5 } }),
    /no density for 'fc2.weight', 'fc3.weight'/,
  );
});

test('bad requests fail with SprigError naming the problem', () => {
  assert.throws(
    () => layerDensities(lenet, { distribution: 'erk', sparsity: 1 }),
    /sparsity 1 is outside \[0, 1\)/,
  );
  assert.throws(() => layerDensities(lenet, { distribution: 'erk', sparsity: -0.1 }), SprigError);
  assert.throws(
    () => layerDensities(lenet, { distribution: 'nope' as 'erk', sparsity: 0.5 }),
    /unknown distribution 'nope'[\s\S]*uniform, er, erk, custom/,
  );
  assert.throws(
    () => layerDensities(lenet, { distribution: 'erk', sparsity: 0.5, densities: { 'fc9.weight': 1 } }),
    /fc9\.weight/,
  );
  // fixed layers alone exceed the budget: 235,200 dense weights > 10 % of 266,200
  assert.throws(
    () => layerDensities(lenet, { distribution: 'erk', sparsity: 0.9, densities: { 'fc1.weight': 1 } }),
    /cannot reach sparsity 0\.9[\s\S]*'fc1\.weight'/,
  );
  // uniform at 99.95 % leaves the 1,000-weight output layer with round(0.5) … 0 weights
  assert.throws(
    () => layerDensities(lenet, { distribution: 'uniform', sparsity: 0.9996 }),
    /leaves layer 'fc3\.weight'.*no weights/,
  );
  assert.throws(
    () => layerDensities([dense('fc.weight', 10, 10)], { distribution: 'uniform', sparsity: 0.5 }),
    /only prunable layer/,
  );
});

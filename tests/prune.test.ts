/**
 * `sprig prune` end to end on synthetic data: one-shot magnitude pruning of a finished run to the
 * target sparsity (global or per layer), fine-tuning with the mask fixed, stored and cached.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadWeights } from '../src/store/artifacts.js';
import { sprig, sprigJson, tempRoot } from './helpers.js';

const root = tempRoot('sprig-prune-');
after(() => rmSync(root, { recursive: true, force: true }));
const out = ['--quiet', '--root', root];
const TINY = ['--dataset', 'synthetic', '--model', 'mlp_32_16', '--batch-size', '64', ...out];

interface Pruned {
  runId: string;
  runDir: string;
  cached: boolean;
  source: string;
  sparsity: number;
  targetSparsity: number;
  densities: Record<string, number>;
  testAccuracy: number;
  steps: number;
}

const dense = sprigJson<{ runId: string; runDir: string }>(['train', ...TINY, '--train-steps', '3ep']);
const prune = (...args: string[]) =>
  sprigJson<Pruned>([
    'prune',
    '--from',
    dense.runId,
    '--batch-size',
    '64',
    '--train-steps',
    '16it',
    ...out,
    ...args,
  ]);

/** Every prunable weight the mask removed is exactly zero after fine-tuning; the mask has the reported density. */
function checkZeros(r: Pruned): void {
  const w = loadWeights(join(r.runDir, 'weights.bin'));
  assert.ok(w.masks, 'the pruned run stores its masks');
  for (const [name, mask] of w.masks) {
    const weights = w.weights.get(name)!;
    mask.forEach((m, i) => m === 0 && assert.ok(weights[i] === 0, `${name}[${i}] stays pruned`));
    const density = mask.reduce((a, m) => a + m, 0) / mask.length;
    assert.ok(Math.abs(density - r.densities[name]!) < 1e-9, name);
  }
}

test('global: the fine-tuned network has the target sparsity, pruned weights stay zero, a re-run is cached', () => {
  const r = prune('--sparsity', '0.8');
  assert.equal(r.source, dense.runId);
  assert.match(r.runId, /^prune_[0-9a-f]{16}$/);
  assert.equal(r.steps, 16);
  // mlp_32_16 on 8×8 inputs: 64·32 + 32·16 + 16·4 = 2,624 prunable weights; one threshold removes 80 % of them
  assert.ok(Math.abs(r.sparsity - 0.8) < 1 / 2624, `sparsity ${r.sparsity}`);
  assert.ok(r.testAccuracy > 0.5, `fine-tuned accuracy ${r.testAccuracy}`);
  checkZeros(r);
  const again = prune('--sparsity', '0.8');
  assert.equal(again.runId, r.runId);
  assert.equal(again.cached, true);
  assert.equal(prune('--sparsity', '0.7').runId === r.runId, false, 'another target is another run');
});

test('per layer: every layer at the target, a layer of its own at its own', () => {
  const r = prune('--sparsity', '0.75', '--prune-scope', 'layer', '--layer-sparsities', 'fc.weight=0.5');
  const n = { 'fc1.weight': 64 * 32, 'fc2.weight': 32 * 16, 'fc.weight': 16 * 4 };
  for (const [name, size] of Object.entries(n)) {
    const want = name === 'fc.weight' ? 0.5 : 0.75;
    assert.ok(Math.abs(1 - r.densities[name]! - want) <= 1 / size, `${name}: ${r.densities[name]}`);
  }
  checkZeros(r);
});

test('a sparse dst run is pruned further from its own mask, never regrowing a weight it had removed', () => {
  const d = sprigJson<{ runId: string; runDir: string }>([
    'dst',
    ...TINY,
    '--method',
    'static',
    '--sparsity',
    '0.5',
    '--train-steps',
    '8it',
  ]);
  const r = sprigJson<Pruned>([
    'prune',
    '--from',
    d.runId,
    '--sparsity',
    '0.9',
    '--batch-size',
    '64',
    '--train-steps',
    '8it',
    ...out,
  ]);
  assert.ok(Math.abs(r.sparsity - 0.9) < 2 / 2624, `sparsity ${r.sparsity}`);
  const before = loadWeights(join(d.runDir, 'weights.bin')).masks!;
  const after = loadWeights(join(r.runDir, 'weights.bin')).masks!;
  for (const [name, m] of after) m.forEach((x, i) => x === 1 && assert.equal(before.get(name)![i], 1, name));
  checkZeros(r);
  const below = sprig(['prune', '--from', d.runId, '--sparsity', '0.3', ...out]);
  assert.equal(below.status, 2);
  assert.match(below.stderr, /already 50\.\d+% sparse, above the target 30\.00%/);
});

test('prune names what it needs: a source, and a finished train or dst run', () => {
  const none = sprig(['prune', ...out]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /prune needs the run to prune[\s\S]*--from/);
  const missing = sprig(['prune', '--from', 'train_0000000000000000', ...out]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /train_0000000000000000 is not a finished train or dst run/);
  assert.match(sprig(['prune', '--help']).stdout, /--layer-sparsities/);
});

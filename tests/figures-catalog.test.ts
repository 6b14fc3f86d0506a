/**
 * The catalog of figure kinds (src/figures/catalog.ts) and the docs' gallery script: every kind the
 * figures module lists has a PNG in the gallery, ids map to their kinds, and the gallery's runs are
 * small. Nothing is trained here (`npm run figures:docs` does that).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIGURE_KINDS, FIGURE_KIND_NAMES, figureKindOf } from '../src/figures/index.js';
// @ts-expect-error: a plain .mjs script without type declarations
import { COMMON, GALLERY, RUNS, SWEEP, fileOf } from '../scripts/figures-docs.mjs';

interface Entry {
  kind: string;
  runs?: string[];
  ofKind?: string;
  sweep?: string;
  figure?: string;
  metric?: string;
}
const gallery = GALLERY as Entry[];

test('figures:docs draws one PNG of every figure kind the figures module lists, and no other', () => {
  assert.deepEqual(gallery.map((g) => g.kind).sort(), [...FIGURE_KIND_NAMES].sort());
  const files = gallery.map((g) => fileOf(g.kind) as string);
  assert.equal(new Set(files).size, files.length, 'one file each');
  for (const g of gallery) {
    assert.ok(
      g.ofKind || g.sweep === SWEEP.name || g.runs?.every((r) => Object.hasOwn(RUNS, r.split(':')[0]!)),
      `${g.kind}: runs it trains`,
    );
    assert.ok(g.figure || g.metric, `${g.kind}: says which figure`);
  }
});

test('figure kinds: each drawn id maps to its kind', () => {
  const cases: [string, string][] = [
    ['dst:accuracy-vs-sparsity', 'dst:accuracy-vs-sparsity'],
    ['dst:accuracy-over-training', 'dst:accuracy-over-training'],
    ['lottery:accuracy-vs-remaining:lottery_0123abcd', 'lottery:accuracy-vs-remaining'],
    ['lottery:early-stop:lottery_0123abcd', 'lottery:early-stop'],
    ['bootstrap:bootstrap_0123abcd:mlp_32', 'bootstrap:worlds'],
    ['bootstrap:bootstrap_0123abcd:ranking', 'bootstrap:ranking'],
    ['gradflow:gradflow_0123abcd:grad-norm', 'gradflow:grad-norm'],
    ['gradflow:gradflow_0123abcd:distances', 'gradflow:distances'],
    ['runs:accuracy-over-training', 'runs:accuracy-over-training'],
    ['metrics:Loss', 'metrics'],
    ['metric:testAccuracy,trainLoss', 'metric'],
    ['compare:testAccuracy', 'metric'],
    ['gradnorm.json::layers', 'file'],
    ['curve.json:worlds[real]:error', 'file'],
    ['sweep:sweep_0123abcd:method', 'sweep:grid'],
  ];
  for (const [id, kind] of cases) assert.equal(figureKindOf(id), kind, id);
  assert.equal(figureKindOf('nothing-known'), undefined);
  for (const k of FIGURE_KIND_NAMES) assert.ok(FIGURE_KINDS[k].about.length > 20, `${k} says what it shows`);
});

test('figures:docs trains small runs: 300 iterations of 32 on Fashion-MNIST', () => {
  const common = COMMON as string[];
  assert.equal(common[common.indexOf('--train-steps') + 1], '300it');
  assert.equal(common[common.indexOf('--batch-size') + 1], '32');
  for (const args of Object.values(RUNS as Record<string, string[]>))
    assert.ok(!args.includes('--train-steps'), 'every run at the common length');
});

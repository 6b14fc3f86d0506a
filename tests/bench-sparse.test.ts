/**
 * `sprig bench --sparse`'s plan, its medians, and one tiny run of a conv net with a stand-in for
 * torch_reference.py (a script that reports fixed numbers in its JSON format): sprig's side really
 * trains and infers on ERK masks, the rows carry the issue's fields, the JSON file matches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sparseCases, sparseJobs, type SparseJob } from '../src/bench/sparse-plan.js';
import { runSparseBench, sparseRow } from '../src/bench/sparse.js';
import { formatSparseBench, formatSparseMarkdown } from '../src/bench/sparse-format.js';
import { tempRoot } from './helpers.js';

test('bench --sparse plan: per-net distributions and densities, one dense run per case, interleaved peers', () => {
  const cases = sparseCases({ nets: ['lenet300', 'vgg16'] });
  assert.deepEqual(
    cases.map((c) => `${c.net} ${c.mode} ${c.batch} ${c.distribution} ${c.densities.join(',')}`),
    [
      'lenet300 train 60 uniform 1,0.2,0.1,0.05,0.02',
      'lenet300 infer 1 uniform 1,0.2,0.1,0.05,0.02',
      'lenet300 infer 64 uniform 1,0.2,0.1,0.05,0.02',
      'vgg16 train 128 erk 1,0.05',
      'vgg16 infer 1 erk 1,0.05',
      'vgg16 infer 64 erk 1,0.05',
    ],
  );
  const over = sparseCases({ nets: ['conv4'], densities: [1, 0.5], steps: 2, warmup: 1, infer: false });
  assert.deepEqual(over, [
    { net: 'conv4', distribution: 'erk', densities: [1, 0.5], mode: 'train', batch: 60, warmup: 1, steps: 2 },
  ]);
  const [train, infer] = sparseCases({ nets: ['conv4'], densities: [1, 0.1], inferBatches: [1] });
  const jobs = sparseJobs([train!, infer!], 2);
  const names = (js: SparseJob[]) => js.map((j) => `${j.density} ${j.engine}`);
  // rep 1: sprig first at density 1, then PyTorch first at 0.1; rep 2 the other way round
  assert.deepEqual(names(jobs.filter((j) => j.rep === 0 && j.mode === 'train')), [
    '1 sprigDense',
    '1 pytorch',
    '0.1 pytorch',
    '0.1 sprigSparse',
  ]);
  assert.deepEqual(names(jobs.filter((j) => j.rep === 1 && j.mode === 'infer')), [
    '1 sprigDense',
    '1 pytorch',
    '0.1 sprigSparse',
    '0.1 pytorch',
    '0.1 pytorchCsr',
  ]);
  assert.equal(jobs.length, 2 * (4 + 5));
});

test('bench --sparse rows: medians per engine, sprig dense shared by every density, max RSS', () => {
  const [c] = sparseCases({ nets: ['conv4'], densities: [1, 0.1], infer: false, reps: 3 });
  const m = (examplesPerS: number, maxRssMB: number) => ({ examplesPerS, maxRssMB, prunableLayers: 7 });
  const done = [
    ...[100, 300, 200].map((x, rep) => ({
      job: { ...c!, rep, density: 1, engine: 'sprigDense' as const },
      m: m(x, 10 + rep),
    })),
    ...[400, 600, 500].map((x, rep) => ({
      job: { ...c!, rep, density: 0.1, engine: 'sprigSparse' as const },
      m: m(x, 5),
    })),
    ...[50, 40, 60].map((x, rep) => ({
      job: { ...c!, rep, density: 0.1, engine: 'pytorch' as const },
      m: m(x, 30),
    })),
  ];
  const row = sparseRow(c!, 0.1, done);
  assert.equal(row.sprigDense, 200);
  assert.equal(row.sprigSparse, 500);
  assert.equal(row.pytorch, 50);
  assert.equal(row.ratios.sparseOverDense, 2.5);
  assert.equal(row.ratios.sparseOverPytorch, 10);
  assert.equal(row.pytorchCsr, undefined);
  assert.deepEqual(row.rssMB, { sprigSparse: 5, sprigDense: 12, pytorch: 30, pytorchCsr: undefined });
  assert.equal(row.distribution, 'erk');
  // at density 1 the sparse figure is the dense one
  const dense = sparseRow(c!, 1, done);
  assert.equal(dense.sprigSparse, 200);
  assert.equal(dense.ratios.sparseOverDense, 1);
});

const FAKE_TORCH = `
const a = process.argv.slice(2);
const [mode, net] = a;
const csr = a.includes('csr');
console.log('noise before the result');
console.log(JSON.stringify({ mode, net, examplesPerS: csr ? 50 : 100, maxRssMB: csr ? 300 : 200, blas: 'fake' }));
`;

test('bench --sparse: a tiny Conv-4 run on ERK masks gives every row with positive, finite figures', async () => {
  const dir = tempRoot('sprig-bench-sparse-');
  const fake = join(dir, 'fake_torch.mjs');
  writeFileSync(fake, FAKE_TORCH);
  const lines: string[] = [];
  const r = await runSparseBench({
    nets: ['conv4'],
    densities: [1, 0.1],
    reps: 1,
    steps: 2,
    warmup: 1,
    inferBatches: [1],
    outDir: dir,
    python: process.execPath,
    torchScript: fake,
    log: (l) => lines.push(l),
  });
  assert.equal(lines.length, 10);
  assert.match(lines[0]!, /9 measurements.*conv4 erk 1,0\.1; 1 repetitions/);
  assert.match(lines[1]!, /^\[1\/9\] rep 1 conv4 train batch 60 density 1 sprigDense: \d+ ex\/s/);
  assert.deepEqual(
    r.results.map((x) => `${x.net} ${x.mode} ${x.batch} ${x.density} ${x.distribution}`),
    ['conv4 train 60 1 erk', 'conv4 train 60 0.1 erk', 'conv4 infer 1 1 erk', 'conv4 infer 1 0.1 erk'],
  );
  for (const x of r.results) {
    for (const v of [x.sprigSparse, x.sprigDense, x.rssMB.sprigSparse, x.rssMB.sprigDense])
      assert.ok(Number.isFinite(v) && v > 0, `${x.mode} ${x.density}: ${v}`);
    assert.equal(x.pytorch, 100);
    assert.equal(x.ratios.sparseOverPytorch, x.sprigSparse / 100);
    assert.equal(x.prunableLayers, 7);
  }
  const [, trainSparse, , inferSparse] = r.results;
  assert.ok(trainSparse!.sparseLayers.length > 0, 'conv4 at 10 % ERK runs some layers sparse');
  assert.equal(inferSparse!.pytorchCsr, 50);
  assert.equal(inferSparse!.rssMB.pytorchCsr, 300);
  assert.equal(r.results[0]!.pytorchCsr, undefined);
  const saved = JSON.parse(readFileSync(r.file!, 'utf8')) as typeof r;
  assert.deepEqual(Object.keys(saved.results[1]!).sort(), [
    'batch',
    'density',
    'distribution',
    'mode',
    'net',
    'prunableLayers',
    'pytorch',
    'ratios',
    'rssMB',
    'sparseLayers',
    'sprigDense',
    'sprigSparse',
    'steps',
    'warmup',
  ]);
  const md = formatSparseMarkdown(r).split('\n');
  assert.match(md[0]!, /^\| net +\| mode +\| batch \|/);
  assert.match(md[1]!, /^\|( -+:? \|)+$/);
  assert.equal(md.filter((l) => l.startsWith('| conv4')).length, 4);
  assert.equal(
    formatSparseBench(r)
      .split('\n')
      .filter((l) => l.startsWith('conv4')).length,
    4,
  );
});

/**
 * `sprig bench`'s plumbing, with a stand-in for torch_reference.py (a script that reports fixed
 * numbers in its JSON format): sprig's side really trains, the rows carry each network's own
 * warm-up and step counts, ratios are sprig / peer medians, and the JSON file matches the table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBench } from '../src/bench/dense.js';
import { formatBench } from '../src/bench/dense-format.js';
import { tempRoot } from './helpers.js';
import { writeMnistDir } from './data-fixtures.js';

const FAKE_TORCH = `
const [mode, net] = process.argv.slice(2);
const line = mode === 'epoch'
  ? { mode, net, loadS: 0.5, trainEpochS: 1.5, testAccuracy: 0.8, maxRssMB: 100, engine: 'pytorch' }
  : { mode, net, examplesPerS: 1000, medianStepS: 0.06, maxRssMB: 200, blas: 'fake', engine: 'pytorch' };
console.log('noise before the result');
console.log(JSON.stringify(line));
`;

test('bench: interleaved sprig and peer runs give per-network rows, ratios, a table and a JSON file', () => {
  const dir = tempRoot('sprig-bench-');
  const fake = join(dir, 'fake_torch.mjs');
  writeFileSync(fake, FAKE_TORCH);
  const data = join(dir, 'fashion');
  writeMnistDir(data, 120, 32, true);
  const lines: string[] = [];
  return runBench({
    nets: ['lenet300'],
    reps: 2,
    steps: 4,
    warmup: 2,
    dataDir: data,
    outDir: dir,
    python: process.execPath,
    torchScript: fake,
    log: (l) => lines.push(l),
  }).then((r) => {
    assert.equal(r.rows.length, 1);
    const row = r.rows[0]!;
    assert.equal(row.steps, 4);
    assert.equal(row.warmup, 2);
    assert.equal(row.sprig.runs.length, 2);
    assert.equal(row.pytorch.runs.length, 2);
    assert.ok(row.sprig.examplesPerS > 0 && Number.isFinite(row.sprig.examplesPerS));
    assert.equal(row.pytorch.examplesPerS, 1000);
    assert.ok(Math.abs(row.ratio - row.sprig.examplesPerS / 1000) < 1e-9);
    assert.equal(row.rssRatio, row.sprig.maxRssMB / 200);
    assert.ok(r.epoch, 'epoch row');
    assert.equal(r.epoch.reps, 2);
    assert.ok(r.epoch.sprig.trainEpochS > 0);
    assert.ok(Math.abs(r.epoch.speedup - 2 / (r.epoch.sprig.loadS + r.epoch.sprig.trainEpochS)) < 1e-9);
    const table = formatBench(r);
    assert.match(table, /lenet300\s+60\s+4 \(2\)/);
    if (r.peak) {
      // the peak is a real measurement, and the row's share of it is its GFLOP/s over it
      assert.ok(r.peak.gflops > 1 && r.peak.threads >= 1 && /avx/.test(r.peak.isa), JSON.stringify(r.peak));
      const pct = ((100 * row.sprig.gflopsPerS) / r.peak.gflops).toFixed(0);
      assert.match(table, new RegExp(`${row.sprig.gflopsPerS.toFixed(1)}\\s+${pct}\\s`));
    }
    assert.ok(lines.join('\n').includes(table.split('\n')[0]!));
    const saved = JSON.parse(readFileSync(r.file!, 'utf8')) as { rows: { ratio: number }[] };
    assert.equal(saved.rows[0]!.ratio, row.ratio);
  });
});

/**
 * `sprig reproduce <paper> --quick` for every paper: the pipeline runs end to end through the store
 * (a second call trains nothing), and writes a report with the claim, mean ± std tables, checks, a
 * verdict and SVG figures. Quick settings are synthetic and tiny: the verdicts mean nothing here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../src/store/store.js';
import { PAPER_NAMES, paperOf, reproduce } from '../src/reproduce/index.js';
import { writeReport } from '../src/reproduce/report.js';
import { sprigJson, tempRoot } from './helpers.js';

const root = tempRoot('sprig-reproduce-');

for (const name of PAPER_NAMES.filter((n) => n !== 'lth')) {
  test(`reproduce ${name} --quick: report with claim, tables over 2 seeds, checks and figures; the same numbers again from the store`, () => {
    const store = new RunStore(root);
    try {
      const ctx = { store, seeds: [0, 1], quick: true, log: () => {} };
      const r = reproduce(paperOf(name), ctx, `sprig reproduce ${name} --quick`);
      assert.equal(r.paper, name);
      assert.ok(r.claim.length > 40);
      assert.ok(r.tables.length >= 1 && r.tables[0]!.rows.length >= 2);
      for (const row of r.tables[0]!.rows) assert.equal(row.length, r.tables[0]!.columns.length);
      assert.match(r.tables[0]!.rows.flat().join(' '), /±/);
      assert.ok(r.checks.length >= 2);
      assert.equal(
        r.holds,
        r.checks.every((c) => c.holds),
      );
      assert.ok(r.figures.length >= 1 && r.runIds.length >= 1);
      const dir = join(root, 'out', name);
      const files = writeReport(dir, r);
      const md = readFileSync(join(dir, 'report.md'), 'utf8');
      assert.match(md, /\*\*Claim\.\*\*/);
      assert.match(md, /Verdict at this scale/);
      for (const f of r.figures) assert.match(readFileSync(join(dir, `${f.name}.svg`), 'utf8'), /^<svg/);
      assert.equal(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).paper, name);
      assert.equal(files.length, 2 + r.figures.length);
      // everything is in the store now: the same numbers come back
      const again = reproduce(paperOf(name), ctx, '');
      assert.deepEqual(again.tables, r.tables);
    } finally {
      store.close();
    }
  });
}

test('sprig reproduce lth --quick --json: the CLI writes report.md, report.json and the figures', () => {
  const out = sprigJson<{ paper: string; holds: boolean; files: string[]; seeds: number[] }>([
    'reproduce',
    'lth',
    '--quick',
    '--seeds',
    '2',
    '--root',
    root,
  ]);
  assert.equal(out.paper, 'lth');
  assert.deepEqual(out.seeds, [0, 1]);
  assert.equal(typeof out.holds, 'boolean');
  for (const f of out.files) assert.ok(existsSync(f), f);
  assert.ok(out.files.some((f) => f.endsWith('report.md')) && out.files.some((f) => f.endsWith('.svg')));
});

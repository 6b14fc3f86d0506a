/**
 * `sprig reproduce <paper> --quick` for every paper: the pipeline runs end to end through the store
 * (a second call trains nothing), and writes a report with the claim, mean ± std tables, claims
 * with paired intervals and verdicts, the arms with their commands and mask fingerprints, and SVG
 * figures. Quick settings are synthetic and tiny: the verdicts mean nothing here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../src/store/store.js';
import { PAPER_NAMES, paperOf, reproduce } from '../src/reproduce/index.js';
import { writeReport } from '../src/reproduce/report.js';
import { overall } from '../src/reproduce/claims.js';
import type { Report } from '../src/reproduce/types.js';
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
      for (const c of r.checks) {
        assert.equal(c.diffs.length, 2);
        assert.ok(c.interval[0] <= c.mean && c.mean <= c.interval[1]);
        assert.ok(['holds', 'fails', 'not shown'].includes(c.verdict));
      }
      assert.equal(r.verdict, overall(r.checks));
      assert.ok(r.figures.length >= 1 && r.runIds.length >= 1);
      assert.deepEqual([...new Set(r.arms.map((a) => a.seed))], [0, 1]);
      const dir = join(root, 'out', name);
      const files = writeReport(dir, r);
      const md = readFileSync(join(dir, 'report.md'), 'utf8');
      assert.match(md, /\*\*Claim\.\*\*/);
      assert.match(md, /Verdict at this scale/);
      assert.match(md, /Per seed \(0, 1\)/);
      for (const f of r.figures) assert.match(readFileSync(join(dir, `${f.name}.svg`), 'utf8'), /^<svg/);
      assert.equal(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).paper, name);
      assert.equal(files.length, 2 + r.figures.length);
      // everything is in the store now: the same numbers come back
      const again = reproduce(paperOf(name), ctx, '');
      assert.deepEqual(again.tables, r.tables);
      // the last arm's printed command, run as a user would, finds the same stored experiment
      const last = r.commands.at(-1)!;
      assert.equal(r.commands.length, r.arms.length);
      const rerun = sprigJson<{ runId: string }>([...last.command.split(' ').slice(1), '--root', root]);
      assert.equal(rerun.runId, last.runId, last.command);
    } finally {
      store.close();
    }
  });
}

test('sprig reproduce lth --quick --json: the CLI writes report.md, report.json and the figures', () => {
  const out = sprigJson<Report & { files: string[] }>([
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
  assert.ok(['holds', 'fails', 'not shown'].includes(out.verdict));
  for (const f of out.files) assert.ok(existsSync(f), f);
  assert.ok(out.files.some((f) => f.endsWith('report.md')) && out.files.some((f) => f.endsWith('.svg')));
});

test('sprig reproduce kd-ticket --quick --seeds 3,4 --json: those seeds, a verdict and interval per claim, one mask per seed and sparsity shared by the four arms, and commands that recreate each arm', () => {
  const out = sprigJson<Report>(['reproduce', 'kd-ticket', '--quick', '--seeds', '3,4', '--root', root]);
  assert.deepEqual(out.seeds, [3, 4]);
  assert.match(out.command, /--seeds 3,4/);
  for (const c of out.checks) {
    assert.ok(['holds', 'fails', 'not shown'].includes(c.verdict));
    assert.equal(c.interval.length, 2);
  }
  const arms = [
    'lottery ticket (θ0, CE)',
    'rewinding (θ_k, CE)',
    'KD ticket (θ0, KD)',
    'KD rewinding (θ_k, KD)',
  ];
  for (const seed of [3, 4])
    for (const at of ['50 %', '80 %']) {
      const here = out.arms.filter((a) => a.seed === seed && a.arm.endsWith(`@ ${at}`));
      assert.deepEqual(
        here.map((a) => a.arm),
        arms.map((a) => `${a} @ ${at}`),
      );
      assert.match(here[0]!.maskSha256!, /^[0-9a-f]{64}$/);
      assert.equal(new Set(here.map((a) => a.maskSha256)).size, 1, `seed ${seed} at ${at}: one mask`);
    }
  // the rewinding arm's own command: `sprig lottery … --seed 4 … --branches rewind` gives the same run id
  const c = out.commands.find((x) => x.seed === 4 && x.arm.startsWith('rewinding'))!;
  assert.match(c.command, /^sprig lottery .*--seed 4 .*--branches rewind/);
  const again = sprigJson<{ runId: string; oneShot: { branches: Record<string, unknown> }[] }>([
    ...c.command.split(' ').slice(1),
    '--root',
    root,
  ]);
  assert.equal(again.runId, c.runId);
  assert.ok(again.oneShot[0]!.branches.rewind);
});

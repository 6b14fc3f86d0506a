/**
 * The dashboard's JSON API (through fastify's inject, no browser), its errors, that it never writes
 * to the store, and `sprig plot`'s SVG.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { cpSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { sprig, sprigJson, tempRoot } from './helpers.js';
import { makeStore, type DashboardStore } from './dashboard-fixtures.js';
import { StoreReader } from '../src/dashboard/reader.js';
import { createDashboard, serveDashboard } from '../src/dashboard/server.js';
import { SprigError } from '../src/util/errors.js';
import { RunStore } from '../src/store/store.js';

let store: DashboardStore;
const LOTTERY = 'lottery_00000000deadbeef';
const levels = [1, 0.8, 0.64, 0.512].map((remaining, level) => ({
  level,
  remaining,
  testAccuracy: 0.9 + level * 0.01,
  testAccuracyStd: 0.002,
  branches: level ? { reinit: { remaining, testAccuracy: 0.9 - level * 0.02, testAccuracyStd: 0.003 } } : {},
}));

before(() => {
  store = makeStore('sprig-dash-api-');
  // One run belongs to a sweep, as `sprig sweep` records it.
  const rs = new RunStore(store.root);
  rs.index.tagSweep('sweep-a', [store.runs[0]!.runId]);
  rs.close();
  // A lottery experiment as a directory only (no index row): the reader finds it by its files.
  const dir = join(store.root, LOTTERY);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'hparams.json'),
    JSON.stringify({ model: { name: 'mlp_16' }, dataset: { name: 'synthetic' } }),
  );
  writeFileSync(join(dir, 'curve.json'), JSON.stringify({ runId: LOTTERY, levels, oneShot: [] }));
});

/** A digest of every file in the store: names, sizes and contents. */
function digest(root: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      // SQLite's shared-memory files appear whenever anyone opens the index, readers included.
      else if (!e.name.endsWith('-shm') && !e.name.endsWith('-wal') && !e.name.endsWith('.png'))
        h.update(`${p}:${statSync(p).size}:`).update(readFileSync(p));
    }
  };
  walk(root);
  return h.digest('hex');
}

test('API: runs, one run, its metrics and curves; nothing in the store changes', async () => {
  const before = digest(store.root);
  const reader = new StoreReader(store.root);
  const app = createDashboard(reader);
  try {
    const get = async (url: string) => {
      const r = await app.inject({ method: 'GET', url });
      return { status: r.statusCode, body: r.json() };
    };
    const list = await get('/api/runs');
    assert.equal(list.status, 200);
    const ids = list.body.runs.map((r: { runId: string }) => r.runId);
    for (const r of store.runs) assert.ok(ids.includes(r.runId), `${r.runId} listed`);
    assert.ok(ids.includes(LOTTERY), 'the directory-only lottery experiment is listed');
    assert.equal((await get('/api/runs?kind=train')).body.runs.length, 2);
    assert.equal((await get('/api/runs?kind=train&status=running')).body.runs.length, 0);
    // A parameter given twice is the user's mistake: a 400 that says so, not a 500.
    const twice = await get('/api/runs?kind=dst&kind=train');
    assert.equal(twice.status, 400);
    assert.match(twice.body.error, /'kind' given more than once/);
    // A page on another host name (DNS rebinding) is refused; loopback names are served.
    const evil = await app.inject({
      method: 'GET',
      url: '/api/runs',
      headers: { host: 'evil.example:7007' },
    });
    assert.equal(evil.statusCode, 403);
    for (const host of ['127.0.0.1:7007', 'localhost', '[::1]:7007'])
      assert.equal(
        (await app.inject({ method: 'GET', url: '/api/runs', headers: { host } })).statusCode,
        200,
        host,
      );
    // Rows carry a readable label and their kind's hyperparameter columns.
    const row = list.body.runs.find((r: { kind: string }) => r.kind === 'train');
    assert.equal(row.label, 'train mlp_16 seed=0');
    assert.equal(row.columns.model, 'mlp_16');
    // A sweep is a filter of the table, and its id a column.
    const swept = await get('/api/runs?sweep=sweep-a');
    assert.deepEqual(
      swept.body.runs.map((r: { runId: string; sweep: string }) => [r.runId, r.sweep]),
      [[store.runs[0]!.runId, 'sweep-a']],
    );
    // Figures of several runs; an unknown id is reported, not fatal.
    const figs = await get(`/api/figures?ids=${store.runs.map((r) => r.runId).join(',')},nope`);
    assert.equal(figs.status, 200);
    assert.deepEqual(figs.body.missing, ['nope']);
    assert.equal(figs.body.figures[0].id, 'runs:accuracy-over-training');
    assert.equal(figs.body.figures[0].series.length, 2);
    assert.deepEqual(
      (await get('/api/runs?kind=lottery')).body.runs.map((r: { runId: string }) => r.runId),
      [LOTTERY],
    );

    const run = store.runs[0]!;
    const one = await get(`/api/runs/${run.runId}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.kind, 'train');
    assert.equal(one.body.status, 'finished');
    assert.equal(one.body.hparams.model.name, 'mlp_16');
    assert.equal(one.body.dir, run.runDir);
    assert.ok(one.body.files.some((f: { name: string }) => f.name === 'result.json'));
    // A unique prefix is enough.
    assert.equal((await get(`/api/runs/${run.runId.slice(0, 12)}`)).body.runId, run.runId);
    assert.equal((await get('/api/runs/train_')).status, 404, 'an ambiguous prefix finds nothing');

    const m = await get(`/api/runs/${run.runId}/metrics`);
    assert.equal(m.status, 200);
    // Metrics every few steps (about 20 per run) and at every epoch end.
    const epochSteps = (run.history as { step: number }[]).map((h) => h.step);
    for (const n of ['testAccuracy', 'testLoss', 'testSoftError', 'trainLoss']) {
      assert.ok(m.body.names.includes(n), n);
      const xs: number[] = m.body.series[n].x;
      for (const s of epochSteps) assert.ok(xs.includes(s), `${n} at epoch end ${s}`);
      assert.ok(xs.length >= 15 && xs.length <= 25, `${n}: about 20 points (${xs.length})`);
    }
    const chartIds = m.body.charts.map((c: { id: string }) => c.id);
    assert.deepEqual(chartIds.slice(0, 3), ['metrics:Accuracy', 'metrics:Loss', 'metrics:SoftError']);
    const loss = m.body.charts.find((c: { id: string }) => c.id === 'metrics:Loss');
    assert.deepEqual(loss.series.map((s: { label: string }) => s.label).sort(), ['test', 'train']);

    const curves = await get(`/api/runs/${LOTTERY}/curves`);
    assert.equal(curves.status, 200);
    // Figures of the one figure model (src/figures): remaining weights in percent on a log axis.
    const lottery = curves.body.charts[0];
    assert.equal(lottery.type, 'line');
    assert.equal(lottery.x.log, true);
    assert.deepEqual(lottery.series[0].x, [100, 80, 64, 51.2]);
    assert.deepEqual(lottery.series[1].label, 'reinit');
    assert.equal(lottery.series[1].x.length, 3);

    const missing = await get('/api/runs/train_nope');
    assert.equal(missing.status, 404);
    assert.match(missing.body.error, /no run 'train_nope'/);
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /chart\.umd\.js/);
    const chartJs = await app.inject({ method: 'GET', url: '/vendor/chart.js/chart.umd.js' });
    assert.equal(chartJs.statusCode, 200, 'Chart.js is served locally');
  } finally {
    await app.close();
    reader.close();
  }
  assert.equal(digest(store.root), before, 'the dashboard wrote nothing to the store');
});

test('API: a corrupt run is corrupt with the fix `sprig runs` prints, also when caught only by its id', async () => {
  const root = join(tempRoot('sprig-dash-corrupt-'), 'runs');
  cpSync(store.root, root, { recursive: true }); // the index's paths are relative: the copy is a store
  const [flipped, edited] = store.runs.map((r) => join(root, r.runId));
  const weights = readFileSync(join(flipped!, 'weights.bin'));
  weights[weights.length - 1]! ^= 0x40;
  writeFileSync(join(flipped!, 'weights.bin'), weights);
  // no manifest (a store from before checksums): only hashing hparams.json against the id catches the edit
  unlinkSync(join(edited!, 'manifest.json'));
  const hp = join(edited!, 'hparams.json');
  writeFileSync(
    hp,
    readFileSync(hp, 'utf8').replace(/"lr": ([0-9.]+)/, (_, lr) => `"lr": ${Number(lr) * 2}`),
  );
  const cli = sprig(['runs', '--root', root]).stdout;
  const reader = new StoreReader(root);
  const app = createDashboard(reader);
  try {
    const get = async (url: string) => (await app.inject({ method: 'GET', url })).json();
    const rows = new Map((await get('/api/runs')).runs.map((r: { runId: string }) => [r.runId, r])) as Map<
      string,
      { status: string; fix: string | null }
    >;
    for (const r of store.runs) {
      const row = rows.get(r.runId)!;
      assert.equal(row.status, 'corrupt', r.runId);
      assert.match(
        row.fix ?? '',
        new RegExp(`sprig verify --move-aside --root ${root}\`, then run the command`),
      );
      assert.ok(cli.includes(`fix: ${row.fix}`), 'the same line as `sprig runs`');
      const one = await get(`/api/runs/${r.runId}`);
      assert.deepEqual([one.status, one.fix], [row.status, row.fix]);
    }
    assert.equal(rows.get(LOTTERY)?.fix, null, 'a finished run has no fix');
    assert.equal((await get('/api/runs?status=corrupt')).runs.length, 2);
  } finally {
    await app.close();
    reader.close();
  }
});

test('serve: a clear error for a store without an index, and for a taken port', async () => {
  const empty = tempRoot('sprig-dash-empty-');
  assert.throws(
    () => new StoreReader(empty),
    (e: unknown) => e instanceof SprigError && /no run index yet/.test(e.message) && /--root/.test(e.message),
  );
  const r = sprig(['serve', '--root', empty, '--port', '0']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /has no run index yet[\s\S]*fix:/);
  assert.deepEqual(readdirSync(empty), [], 'nothing was created in the empty root');

  const blocker = createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  const port = (blocker.address() as { port: number }).port;
  try {
    await assert.rejects(
      serveDashboard({ root: store.root, port }),
      (e: unknown) =>
        e instanceof SprigError &&
        /port \d+ on 127\.0\.0\.1 is already in use/.test(e.message) &&
        /--port/.test(e.message),
    );
  } finally {
    blocker.close();
  }
});

/** The points of each series path: d3's linear path is "M x,y L x,y …". */
function pathPoints(svg: string): number[] {
  return [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => (m[1]!.match(/[ML]/g) ?? []).length);
}

test('sprig plot writes an SVG with one path point per logged step', () => {
  const run = store.runs[0]!;
  const out = join(store.root, 'acc.svg');
  const r = sprigJson<{ out: string; series: { label: string; points: number }[] }>([
    'plot',
    run.runId,
    '--root',
    store.root,
    '--out',
    out,
  ]);
  assert.equal(r.out, out);
  const svg = readFileSync(out, 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  const n = r.series[0]!.points;
  assert.ok(n > run.history.length, `finer than once per epoch (${n} points)`);
  assert.deepEqual(pathPoints(svg), [n]);

  const two = join(store.root, 'loss.svg');
  sprigJson([
    'plot',
    run.runId.slice(0, 14),
    '--root',
    store.root,
    '--metric',
    'trainLoss,testLoss',
    '--out',
    two,
  ]);
  // The train loss starts after the first step; the test loss is also measured at step 0.
  assert.deepEqual(pathPoints(readFileSync(two, 'utf8')), [n - 1, n]);
  assert.match(readFileSync(two, 'utf8'), /data-label="trainLoss"/);

  // A lottery run plots accuracy against remaining weights: 4 levels on the main line, and the
  // branch from the dense point through its 3 levels.
  const lot = join(store.root, 'lottery.svg');
  sprigJson(['plot', LOTTERY, '--root', store.root, '--out', lot]);
  const lsvg = readFileSync(lot, 'utf8');
  assert.deepEqual(pathPoints(lsvg), [4, 4]);
  assert.match(lsvg, /class="xtick"[^>]*>51\.2</, 'remaining weights are labelled in percent');
  assert.match(lsvg, /remaining weights \(%, log scale\)/);
  assert.equal((lsvg.match(/class="band"/g) ?? []).length, 2, 'an error band per line with replicates');

  const bad = sprig(['plot', run.runId, '--root', store.root, '--metric', 'nope']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /has no metric 'nope'[\s\S]*testAccuracy/);
  const png = sprig(['plot', run.runId, '--root', store.root, '--out', 'x.gif']);
  assert.equal(png.status, 2);
  assert.match(png.stderr, /writes SVG or PNG/);
});

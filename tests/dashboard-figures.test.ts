/**
 * Each experiment's paper figure on a store filled by small real runs (DST methods × seeds, a
 * lottery run with replicates and a branch, a bootstrap run, a gradflow run): `sprig plot` draws
 * them as SVG/PNG with error bands, and a Chromium walk-through of the dashboard shows the same
 * figures, saving a screenshot of each page (under $SPRIG_TEST_OUTPUT or the temp dir).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Browser, Page } from 'playwright-core';
import { sprigAsync, sprigJson, tempRoot } from './helpers.js';
import { figureKindOf } from '../src/figures/catalog.js';
import { launchChromium, NO_CHROMIUM } from '../bench/chromium.js';

const SHOTS = join(process.env.SPRIG_TEST_OUTPUT ?? join(tmpdir(), 'sprig-test-output'), 'dashboard');
const SYN = ['--dataset', 'synthetic', '--quiet'];
let root: string;
const ids: Record<string, string> = {};

before(() => {
  root = tempRoot('sprig-figures-');
  const r = ['--root', root];
  const dst = (extra: string[]) =>
    sprigJson<{ rows: { runs: { runId: string }[] }[] }>([
      'dst',
      ...SYN,
      ...r,
      '--model',
      'mlp_32_16',
      '--train-steps',
      '2ep',
      '--batch-size',
      '64',
      '--delta-t',
      '4',
      '--seeds',
      '0,1',
      ...extra,
    ]);
  ids.dst = dst(['--methods', 'static,set,rigl', '--sparsity', '0.9']).rows[0]!.runs[0]!.runId;
  dst(['--methods', 'static,rigl', '--sparsity', '0.8', '--distribution', 'uniform']);
  ids.lottery = sprigJson<{ runId: string }>([
    'lottery',
    ...SYN,
    ...r,
    '--model',
    'mlp_32',
    '--train-steps',
    '2ep',
    '--batch-size',
    '64',
    '--levels',
    '2',
    '--replicates',
    '2',
    '--branches',
    'reinit',
  ]).runId;
  ids.bootstrap = sprigJson<{ runId: string }>([
    'bootstrap',
    ...SYN,
    ...r,
    '--models',
    'mlp_32,mlp_8',
    '--n',
    '64',
    '--batch-size',
    '16',
    '--train-steps',
    '8it',
    '--log-every',
    '2it',
  ]).runId;
  ids.gradflow = sprigJson<{ runId: string }>([
    'gradflow',
    ...SYN,
    ...r,
    '--model',
    'mlp_16',
    '--sparsity',
    '0.8',
    '--train-steps',
    '30it',
    '--batch-size',
    '16',
    '--log-every',
    '10it',
    '--grad-batch',
    '64',
    '--delta-t',
    '10',
    '--gmp-frequency',
    '5',
    '--interpolation-points',
    '5',
  ]).runId;
  mkdirSync(SHOTS, { recursive: true });
});

const count = (svg: string, re: RegExp) => (svg.match(re) ?? []).length;

/** Each method's line colours over these SVG figures (a series' label starts with its method). */
function methodHues(svgs: string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const svg of svgs)
    for (const m of svg.matchAll(
      /<g class="series" data-label="(\w+)[^"]*"[^>]*>[\s\S]*?<path d="[^"]*" fill="none" stroke="(#[0-9a-f]{6})"/g,
    ))
      out.set(m[1]!, (out.get(m[1]!) ?? new Set()).add(m[2]!));
  return out;
}

test('sprig plot: the DST comparison with error bars over seeds, densities, FLOPs and churn', () => {
  const dir = join(root, 'plots-dst');
  const r = sprigJson<{ figures: { id: string; out: string; series: { label: string }[] }[] }>([
    'plot',
    '--root',
    root,
    '--kind',
    'dst',
    '--out-dir',
    dir,
  ]);
  const byId = new Map(r.figures.map((f) => [f.id, f]));
  for (const id of byId.keys()) assert.ok(figureKindOf(id), `${id} is of a listed kind`);
  for (const id of [
    'dst:accuracy-vs-sparsity',
    'dst:accuracy-vs-training-flops',
    'dst:accuracy-vs-inference-flops',
    'dst:layer-densities',
    'dst:mask-churn',
    'dst:accuracy-over-training',
  ])
    assert.ok(byId.has(id), `${id} (got ${[...byId.keys()].join(', ')})`);
  const acc = readFileSync(byId.get('dst:accuracy-vs-sparsity')!.out, 'utf8');
  // One series per method and distribution, labelled by them; two seeds each give a spread.
  assert.deepEqual(
    byId
      .get('dst:accuracy-vs-sparsity')!
      .series.map((s) => s.label)
      .sort(),
    ['rigl erk', 'rigl uniform', 'set erk', 'static erk', 'static uniform'],
  );
  assert.ok(count(acc, /class="band"/g) >= 5, 'every method has an error bar over its seeds');
  assert.doesNotMatch(acc, /dst_[0-9a-f]{16}/, 'no bare hashes');
  // One hue per method (its second distribution dashed), each method its own.
  const hue = methodHues([acc, readFileSync(byId.get('dst:accuracy-over-training')!.out, 'utf8')]);
  for (const [m, c] of hue) assert.equal(c.size, 1, `${m} has one colour in both figures: ${[...c]}`);
  assert.equal(new Set([...hue.values()].map((c) => [...c][0])).size, hue.size, 'methods differ in colour');
  const curves = byId.get('dst:accuracy-over-training')!;
  assert.equal(curves.series.length, 5, 'one mean line per method group, not one per seed');
  assert.ok(
    curves.series.some((s) => /^rigl .*s=0\.9/.test(s.label)),
    curves.series.map((s) => s.label).join(),
  );
  const churn = readFileSync(byId.get('dst:mask-churn')!.out, 'utf8');
  assert.match(churn, /data-label="rigl s=0.9"/);
  assert.doesNotMatch(churn, /data-label="static/, 'static sparse training never changes its mask');
  const png = join(root, 'dst.png');
  sprigJson([
    'plot',
    '--root',
    root,
    '--kind',
    'dst',
    '--figure',
    'accuracy-vs-training-flops',
    '--out',
    png,
  ]);
  assert.deepEqual([...readFileSync(png).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG');
});

test('sprig plot: lottery bands over replicates, bootstrap gap and stop, gradflow overlay and heatmap', () => {
  // Three experiments in one call: each gets its own figures.
  const dir = join(root, 'plots');
  const drawnIds = sprigJson<{ figures: { id: string }[] }>([
    'plot',
    ids.lottery!,
    ids.bootstrap!,
    ids.gradflow!,
    '--root',
    root,
    '--out-dir',
    dir,
  ]).figures.map((f) => f.id);
  for (const id of drawnIds) assert.ok(figureKindOf(id), `${id} is of a listed kind`);
  const read = (_: string, id: string) => readFileSync(join(dir, `${id.replace(/:/g, '_')}.svg`), 'utf8');
  const lot = read('lottery', `lottery:accuracy-vs-remaining:${ids.lottery}`);
  assert.equal(count(lot, /class="band"/g), 2, 'IMP and reinit each have a ± std band');
  assert.match(lot, /class="ref" data-label="dense/);
  assert.match(lot, /2 replicates/);
  const early = read('lottery', `lottery:early-stop:${ids.lottery}`);
  const yticks = [...early.matchAll(/class="ytick"[^>]*>([^<]*)</g)].map((m) => m[1]!);
  assert.ok(yticks.length && yticks.every((t) => /^\d+$/.test(t)), `whole-number iteration ticks: ${yticks}`);
  const boot = read('bootstrap', `bootstrap:${ids.bootstrap}:mlp_32`);
  assert.match(boot, /class="shade"/);
  assert.match(boot, /gap = Real − Ideal/);
  assert.match(boot, /class="ref" data-label="(stopping time|no stop)/);
  assert.match(read('bootstrap', `bootstrap:${ids.bootstrap}:ranking`), /Real rank/);
  const gn = read('gradflow', `gradflow:${ids.gradflow}:grad-norm`);
  assert.equal(count(gn, /<g class="series"/g), 7, 'all seven runs (random_mask among them) on one axis');
  assert.equal(count(gn, /<rect class="span"/g), 2, "GMP's pruning and RigL's update windows marked");
  assert.match(gn, /log scale/);
  const heat = read('gradflow', `gradflow:${ids.gradflow}:disagreement`);
  assert.equal(count(heat, /class="cell"/g), 49);
  assert.match(heat, /class="colorbar"/);
  const interp = read('gradflow', `gradflow:${ids.gradflow}:interpolation`);
  assert.match(interp, /class="axes y2"/, 'error on its own axis');
  // `sprig runs` and `show` know the experiments the dashboard lists, bootstrap and gradflow included.
  const listed = sprigJson<{ runId: string }[]>(['runs', '--root', root, '--json']).map((r) => r.runId);
  for (const id of [ids.bootstrap!, ids.gradflow!, ids.lottery!])
    assert.ok(listed.includes(id), `${id} listed`);
  assert.equal(
    sprigJson<{ runId: string }>(['show', ids.gradflow!, '--root', root, '--json']).runId,
    ids.gradflow,
  );
});

let server: ReturnType<typeof sprigAsync> | undefined;
let browser: Browser | undefined;
after(async () => {
  await browser?.close();
  if (server) {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
});

async function serve(): Promise<string> {
  server = sprigAsync(['serve', '--root', root, '--port', '0', '--json']);
  let out = '';
  server.stdout!.setEncoding('utf8');
  while (!out.includes('\n')) {
    const [chunk] = (await Promise.race([
      once(server.stdout!, 'data'),
      once(server, 'exit').then(() => [null]),
    ])) as [string | null];
    if (chunk === null) throw new Error('sprig serve exited before listening');
    out += chunk;
  }
  return (JSON.parse(out) as { url: string }).url;
}

/** Figure ids on the page with what each drew: Chart.js points, or HTML cells. */
async function drawn(page: Page): Promise<Map<string, number>> {
  const list = await page.$$eval('[data-figure-id]', (cards) =>
    cards.map((c) => {
      const canvas = c.querySelector('canvas');
      const Chart = (
        window as unknown as {
          Chart: { getChart(c: Element): { data: { datasets: { data: unknown[] }[] } } };
        }
      ).Chart;
      const n = canvas
        ? Chart.getChart(canvas)!.data.datasets.reduce(
            (a, d) => a + d.data.filter((v) => v !== null).length,
            0,
          )
        : c.querySelectorAll('td').length;
      return [c.getAttribute('data-figure-id')!, n] as [string, number];
    }),
  );
  return new Map(list);
}

/** [first word of the label, line colour] of every drawn line (no bands, reference lines or spans) under `sel`. */
async function lineColours(page: Page, sel: string): Promise<[string, string][]> {
  return page.$$eval(`${sel} canvas`, (cs) =>
    cs.flatMap((c) =>
      (
        window as unknown as {
          Chart: {
            getChart(c: Element): {
              data: {
                datasets: {
                  label: string;
                  borderColor?: string;
                  band?: boolean;
                  ref?: boolean;
                  span?: boolean;
                }[];
              };
            };
          };
        }
      ).Chart.getChart(c)!
        .data.datasets.filter((d) => !d.band && !d.ref && !d.span && typeof d.borderColor === 'string')
        .map((d) => [d.label.split(' ')[0]!, d.borderColor!] as [string, string]),
    ),
  );
}

/** The colours each name was drawn in. */
function byName(pairs: [string, string][]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [m, c] of pairs) out.set(m, (out.get(m) ?? new Set()).add(c));
  return out;
}

const show = (m: Map<string, Set<string>>) => JSON.stringify([...m].map(([k, c]) => [k, [...c]]));

test(
  'dashboard walk-through in Chromium: every figure on its page, grouping over seeds, screenshots',
  { skip: NO_CHROMIUM, timeout: 180_000 },
  async (t) => {
    const url = await serve();
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const fitsWidth = async (what: string) => {
      const w = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(w <= 1400, `${what}: the page is ${w} px wide at a 1400 px viewport`);
    };
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const visit = async (hash: string, shot: string) => {
      await page.goto(`${url}#${hash}`);
      await page.waitForSelector('body[data-ready="1"]');
      await page.screenshot({ path: join(SHOTS, `${shot}.png`), fullPage: true });
      assert.match(
        await page.locator('#root').innerText(),
        /sprig-figures-/,
        `${shot}: the store path is shown`,
      );
      await fitsWidth(shot); // every view of the walk-through, no wider than its viewport
      const figs = await drawn(page);
      // Every figure is of a kind the catalog lists (and so the docs' gallery shows).
      for (const id of figs.keys()) assert.ok(figureKindOf(id), `${shot}: ${id} is of no listed kind`);
      return figs;
    };
    /** Every value of a run page's panels inside its panel: nothing pushed out by a long path or id. */
    const valuesInPanels = async (what: string) => {
      const out = await page.$$eval('.panel', (ps) =>
        ps.flatMap((p) => {
          const box = p.getBoundingClientRect();
          const over = p.scrollWidth > p.clientWidth ? [`${p.id} scrolls sideways`] : [];
          const cells = [...p.querySelectorAll('td, pre')].filter(
            (c) => c.getBoundingClientRect().right > box.right + 0.5,
          );
          return [...over, ...cells.map((c) => `${p.id}: '${c.textContent}' runs past the panel`)];
        }),
      );
      assert.deepEqual(out, [], what);
    };
    const expectFigures = (figs: Map<string, number>, want: string[]) => {
      for (const w of want) {
        const hit = [...figs].find(([id]) => id.includes(w));
        assert.ok(hit, `${w} on the page (got ${[...figs.keys()].join(', ')})`);
        assert.ok(hit[1] > 0, `${w} has data`);
      }
    };

    // The runs table: readable labels and the kind's columns; grouping by all but the seed.
    await visit('/', 'runs-all');
    await visit('/?kind=dst', 'runs-dst');
    const heads = await page.$$eval('table#runs th[data-key]', (hs) =>
      hs.map((h) => h.getAttribute('data-key')),
    );
    assert.deepEqual(heads.slice(0, 2), ['label', 'acc'], 'the result right after the name');
    assert.ok(!heads.includes('hp:models'), 'no bootstrap columns when showing dst runs');
    assert.equal(await page.locator('table#runs tbody tr').count(), 10);
    assert.ok((await page.locator('table#runs').innerText()).includes('rigl s=0.9 seed=1'));
    await page.goto(`${url}#/?kind=dst&group=*seed`);
    await page.waitForSelector('body[data-ready="1"] table#groups');
    const sizes = await page.$$eval('tr[data-group-size]', (rs) =>
      rs.map((r) => r.getAttribute('data-group-size')),
    );
    assert.deepEqual(sizes, ['2', '2', '2', '2', '2'], 'five method groups of two seeds');
    // Grouping by method still keeps sparsities apart, and says what it pooled.
    await page.goto(`${url}#/?kind=dst&group=hp:method`);
    await page.waitForSelector('body[data-ready="1"] table#groups');
    assert.equal(await page.locator('tr[data-group-size="2"]').count(), 5, 'no pooling across sparsities');
    assert.match(await page.locator('td.pooled').first().innerText(), /seeds 0, 1/);
    await page.screenshot({ path: join(SHOTS, 'runs-grouped.png'), fullPage: true });

    // Live: a run that finishes while the list is open appears without a reload.
    await visit('/?kind=train', 'runs-before');
    assert.equal(await page.locator('table#runs tbody tr').count(), 0);
    const fresh = sprigJson<{ runId: string }>([
      'train',
      ...SYN,
      '--root',
      root,
      '--model',
      'mlp_8',
      '--train-steps',
      '1ep',
    ]);
    await page.waitForSelector(`tr[data-run="${fresh.runId}"]`, { timeout: 30_000 });

    // DST: the comparison figures of all runs of the kind.
    const dstIds = JSON.parse(
      await page.evaluate(async () =>
        JSON.stringify(
          (await (await fetch('/api/runs?kind=dst')).json()).runs.map((r: { runId: string }) => r.runId),
        ),
      ),
    ) as string[];
    expectFigures(await visit(`/compare/${dstIds.join(',')},nope`, 'dst-compare'), [
      'dst:accuracy-vs-sparsity',
      'dst:accuracy-vs-training-flops',
      'dst:accuracy-vs-inference-flops',
      'dst:layer-densities',
      'dst:mask-churn',
    ]);
    assert.match(await page.locator('#missing').innerText(), /'nope'/, 'a bad id is dropped with a notice');
    // A method keeps its colour across the DST figures, the mask churn among them.
    const dstHues = byName(await lineColours(page, '[data-figure-id^="dst:"]'));
    assert.ok(dstHues.get('rigl')?.size === 1 && dstHues.get('static')?.size === 1, show(dstHues));
    const rigl = [...dstHues.get('rigl')!][0]!;
    const churn = byName(await lineColours(page, '[data-figure-id="dst:mask-churn"]'));
    assert.deepEqual([...(churn.get('rigl') ?? [])], [rigl], `mask churn: ${show(churn)}`);
    // …and in the compare view's chart of one metric over steps, every seed and sparsity.
    await visit(`/compare/${dstIds.join(',')}?metric=testAccuracy`, 'dst-compare-metric');
    const compared = byName(await lineColours(page, '#compare-charts'));
    assert.deepEqual([...(compared.get('rigl') ?? [])], [rigl], `compare view: ${show(compared)}`);
    expectFigures(await visit(`/run/${ids.lottery}`, 'lottery'), [
      'lottery:accuracy-vs-remaining',
      'lottery:early-stop',
    ]);
    assert.ok(
      (await page.locator('#children').innerText()).includes('reinit level 1 replicate 0'),
      'branches listed',
    );
    // A branch keeps its colour between the main figure and the secondary ones (early stop, curves).
    const main = byName(await lineColours(page, '[data-figure-id^="lottery:accuracy-vs-remaining"]'));
    const secondary = byName(
      await lineColours(page, '[data-figure-id]:not([data-figure-id^="lottery:accuracy-vs-remaining"])'),
    );
    assert.equal(main.get('reinit')?.size, 1, show(main));
    assert.deepEqual([...(secondary.get('reinit') ?? [])], [...main.get('reinit')!], show(secondary));
    // Nested level and branch pages keep their long ids and paths inside the result panel.
    const level = `${ids.lottery}.r0.L1`;
    await visit(`/run/${level}`, 'lottery-level');
    await valuesInPanels('level page');
    const branch = await page.getAttribute('tr[data-child*=".reinit_"] a', 'href');
    assert.ok(branch, 'the level lists its branch');
    await visit(branch.slice(1), 'lottery-branch');
    assert.match(await page.locator('h1').innerText(), /^reinit level 1/);
    await valuesInPanels('branch page');
    expectFigures(await visit(`/run/${ids.bootstrap}`, 'bootstrap'), [':mlp_32', ':mlp_8', ':ranking']);
    expectFigures(await visit(`/run/${ids.gradflow}`, 'gradflow'), [
      ':grad-norm',
      ':interpolation',
      ':disagreement',
      ':distances',
    ]);
    assert.deepEqual(errors, []);
    t.diagnostic(`screenshots: ${SHOTS} (${readdirSync(SHOTS).length} files)`);
  },
);

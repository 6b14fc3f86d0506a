/** The figure definitions and the SVG renderer on hand-made data: no store, no training. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { palette } from '../src/figures/palette.js';
import { domain, filterTicks, tickFormatter } from '../src/figures/axes.js';
import { figureSvg } from '../src/figures/svg.js';
import { chartFigure, withRanges } from '../src/figures/index.js';
import { groupRuns } from '../src/figures/groups.js';
import { meanStd } from '../src/figures/stats.js';
import { lotteryFigures, type LotteryCurve } from '../src/figures/lottery.js';
import { runLabel, uniqueLabels } from '../src/figures/labels.js';
import type { LineFigure } from '../src/figures/types.js';
import type { RunRow } from '../src/store/index-db.js';

test('palette: distinct colours for any number of series', () => {
  for (const n of [1, 10, 11, 20, 21, 60]) {
    const p = palette(n);
    assert.equal(p.length, n);
    assert.equal(new Set(p).size, n, `${n} colours, none repeated`);
    for (const c of p) assert.match(c, /^#[0-9a-f]{6}$/);
  }
});

test('axes: a one-point run gets a window around its value, whole-number ticks on integer axes', () => {
  const [lo, hi] = domain([468], { label: 'step', unit: 'integer' });
  assert.ok(lo < 468 && hi > 468 && hi - lo <= 100, `[${lo}, ${hi}]`);
  const [a, b] = domain([93.5], { label: 'acc', unit: 'percent' });
  assert.ok(a < 93.5 && b > 93.5 && b <= 100, 'a percent axis stays within 100');
  assert.deepEqual(filterTicks([0, 0.5, 1, 1.5, 2], { label: 'level', unit: 'integer' }), [0, 1, 2]);
  const f = tickFormatter([468.2, 468.4, 468.6], { label: 'y', unit: 'number' });
  assert.deepEqual([468.2, 468.4].map(f), ['468.2', '468.4']);
  assert.equal(tickFormatter([0, 20, 40], { label: 'y', unit: 'number' })(20), '20');
  assert.deepEqual([0, 2.5, 5].map(tickFormatter([0, 2.5, 5], { label: 'y', unit: 'number' })), [
    '0.0',
    '2.5',
    '5.0',
  ]);
  assert.equal(meanStd([1, 3]).std, Math.SQRT2, 'sample standard deviation (n − 1)');
});

const band: LineFigure = {
  type: 'line',
  id: 't',
  title: 'two replicates',
  x: { label: 'remaining (%)', unit: 'percent', log: true, reverse: true, ticksAtData: true },
  y: { label: 'acc (%)', unit: 'percent' },
  series: [
    { label: 'main', x: [100, 80, 64], y: [90, 91, 89], std: [0.5, 1, 1.2], color: '#4e79a7' },
    { label: 'reinit', x: [100, 80, 64], y: [90, 88, 85], std: [0, 0, 0], color: '#f28e2b' },
  ],
  refLines: [{ axis: 'y', value: 90, label: 'dense', color: '#333333' }],
  source: 'test',
};

test('svg: a band for series with a spread, none without; the range covers the band and reference', () => {
  const fig = withRanges(band) as LineFigure;
  assert.ok(fig.y.range![0] <= 89 - 1.2 && fig.y.range![1] >= 91 + 1, `range ${fig.y.range}`);
  const svg = figureSvg(fig);
  assert.equal((svg.match(/class="band"/g) ?? []).length, 1);
  assert.match(svg, /class="ref" data-label="dense"/);
  const ticks = [...svg.matchAll(/class="xtick"[^>]*>([^<]*)</g)].map((m) => m[1]);
  assert.deepEqual(ticks, ['64', '80', '100'], 'remaining weights labelled at the levels');
  // The reversed log axis puts 100 % on the left.
  const xOf = (t: string) => Number(new RegExp(`x="([\\d.]+)"[^>]*>${t}<`).exec(svg)![1]);
  assert.ok(xOf('100') < xOf('64'));
});

const row = (runId: string, dst: Record<string, unknown>, seed: number): RunRow => ({
  runId,
  kind: 'dst',
  status: 'finished',
  parent: null,
  hparams: { model: { name: 'm' }, training: { seed, lr: 0.1 }, dst },
  result: null,
  createdAt: '',
  updatedAt: '',
});

test('labels and groups: readable names; groups over seeds named by what differs within a method', () => {
  const rows = [
    row('dst_a', { method: 'rigl', sparsity: 0.9, distribution: 'erk', deltaT: 100 }, 0),
    row('dst_b', { method: 'rigl', sparsity: 0.9, distribution: 'erk', deltaT: 100 }, 1),
    row('dst_c', { method: 'rigl', sparsity: 0.9, distribution: 'uniform', deltaT: 100 }, 0),
    row('dst_d', { method: 'static', sparsity: 0.9, distribution: 'erk', deltaT: 7 }, 0),
  ];
  assert.equal(runLabel(rows[1]!), 'rigl s=0.9 seed=1');
  assert.equal(
    runLabel({ ...rows[0]!, hparams: { training: { seed: 2 }, dst: { method: 'dense' } } }),
    'dense seed=2',
  );
  const g = groupRuns(
    rows.map((r) => ({ row: r })),
    ['training.seed', 'dst.sparsity'],
    (t) => String((t.row.hparams.dst as { method: string }).method),
  );
  assert.deepEqual(
    g.map((x) => [x.label, x.items.length]),
    [
      ['rigl erk', 2],
      ['rigl uniform', 1],
      ['static erk', 1],
    ],
    'the ΔT static ignores does not name a group',
  );
  // A dense baseline is named `dense`, not by the sparsity it ignores.
  const dense = row('dst_e', { method: 'dense', sparsity: 0.9, distribution: 'erk', deltaT: 100 }, 0);
  const withDense = groupRuns(
    [
      ...rows,
      dense,
      row('dst_f', { method: 'rigl', sparsity: 0.8, distribution: 'erk', deltaT: 100 }, 0),
    ].map((r) => ({ row: r })),
    ['training.seed'],
    (t) => String((t.row.hparams.dst as { method: string }).method),
  );
  assert.equal(withDense.find((x) => x.items[0]!.row === dense)?.label, 'dense');
  const twins = uniqueLabels([rows[0]!, { ...rows[0]!, runId: 'dst_ffff00' }]);
  assert.notEqual(twins.get('dst_a'), twins.get('dst_ffff00'), 'equal labels are told apart');
});

test('lottery: branches start at the dense point; one replicate says it has no band', () => {
  const src = {
    list: () => [],
    get: () => undefined,
    children: () => [],
    metrics: () => [],
    readJson: () => undefined,
  };
  const curve: LotteryCurve = {
    levels: [
      { level: 0, remaining: 1, testAccuracy: 0.9, branches: {} },
      {
        level: 1,
        remaining: 0.5,
        testAccuracy: 0.91,
        branches: { reinit: { remaining: 0.5, testAccuracy: 0.85 } },
      },
    ],
  };
  const [fig] = lotteryFigures(src, row('lottery_x', {}, 0), curve, 'lottery');
  assert.equal(fig!.type, 'line');
  const f = fig as LineFigure;
  assert.deepEqual(
    f.series.map((s) => [s.label, s.x]),
    [
      ['IMP (main)', [100, 50]],
      ['reinit', [100, 50]],
    ],
  );
  assert.match(f.note!, /one replicate/);
});

test('generic charts: levels on whole-number ticks, accuracy in percent', () => {
  const f = chartFigure({
    id: 'metrics:Accuracy',
    title: 'accuracy',
    xLabel: 'level',
    yLabel: 'accuracy',
    series: [{ label: 'test', x: [0, 1, 2], y: [0.9, 0.91, 0.92] }],
    source: 'metrics',
  });
  assert.equal(f.x.unit, 'integer');
  assert.deepEqual(f.series[0]!.y, [90, 91, 92]);
  assert.equal(f.y.label, 'accuracy (%)');
  const ticks = [...figureSvg(f).matchAll(/class="xtick"[^>]*>([^<]*)</g)].map((m) => m[1]);
  assert.deepEqual(ticks, ['0', '1', '2']);
});

/** A RunSource with the given metrics per run and nothing else. */
const source = (metrics: Record<string, [number, number][]> = {}) => ({
  list: () => [],
  get: () => undefined,
  children: () => [],
  metrics: (id: string) =>
    (metrics[id] ?? []).map(([step, value]) => ({ runId: id, step, name: 'testAccuracy', value })),
  readJson: () => undefined,
});

test('styles: a method keeps its colour whatever the order of the series and the figure', async () => {
  const { dstFigures } = await import('../src/figures/dst.js');
  const { runFacts } = await import('../src/figures/runs.js');
  const withAcc = (r: RunRow, acc: number): RunRow => ({ ...r, result: { testAccuracy: acc } });
  const rows = [
    withAcc(row('dst_r', { method: 'rigl', sparsity: 0.9 }, 0), 0.9),
    withAcc(row('dst_s', { method: 'static', sparsity: 0.9 }, 0), 0.8),
    withAcc(row('dst_e', { method: 'set', sparsity: 0.9 }, 0), 0.85),
  ];
  const src = source({ dst_r: [[1, 0.9]], dst_s: [[1, 0.8]], dst_e: [[1, 0.85]] });
  const colours = (rs: RunRow[]) =>
    dstFigures(
      src,
      rs.map((r) => runFacts(src, r)),
    ).map((f) => new Map((f as LineFigure).series?.map((s) => [s.label.split(' ')[0], s.color])));
  const [a, b] = [colours(rows), colours([rows[2]!, rows[0]!])];
  assert.equal(a[0]!.get('rigl'), b[0]!.get('rigl'), 'rigl first or second: one colour');
  assert.equal(a[0]!.get('rigl'), a.at(-1)!.get('rigl'), 'vs sparsity and over training: one colour');
  assert.notEqual(a[0]!.get('static'), a[0]!.get('set'));
  const markers = (
    dstFigures(
      src,
      rows.map((r) => runFacts(src, r)),
    )[0] as LineFigure
  ).series.map((s) => s.marker);
  assert.equal(new Set(markers).size, 3, 'overlapping methods have their own markers');
});

test('dst: a compare of one seed per point does not claim bands over seeds', async () => {
  const { dstFigures } = await import('../src/figures/dst.js');
  const { runFacts } = await import('../src/figures/runs.js');
  const one = { ...row('dst_r', { method: 'rigl', sparsity: 0.9 }, 0), result: { testAccuracy: 0.9 } };
  const src = source();
  const [fig] = dstFigures(src, [runFacts(src, one)]);
  assert.doesNotMatch(fig!.note ?? '', /std over seeds/);
  const two = [one, { ...one, runId: 'dst_q', hparams: { ...one.hparams, training: { seed: 1, lr: 0.1 } } }];
  assert.match(
    dstFigures(
      src,
      two.map((r) => runFacts(src, r)),
    )[0]!.note ?? '',
    /std over seeds/,
  );
});

test('plot --metric: the loss keeps its own unit on its own axis beside accuracy in percent', async () => {
  const { namedMetricsFigure } = await import('../src/figures/charts.js');
  const f = namedMetricsFigure(
    {
      id: 'metric:testAccuracy,trainLoss',
      title: 'test accuracy, train loss',
      xLabel: 'step',
      yLabel: 'test accuracy, train loss',
      series: [
        { label: 'testAccuracy', x: [1, 2], y: [0.5, 0.6] },
        { label: 'trainLoss', x: [1, 2], y: [1.5, 1.2] },
      ],
      source: 'metrics',
    },
    ['testAccuracy', 'trainLoss'],
  );
  assert.deepEqual(f.series[0]!.y, [50, 60]);
  assert.deepEqual(f.series[1]!.y, [1.5, 1.2], 'the loss is not multiplied by 100');
  assert.equal(f.series[1]!.axis, 'y2');
  assert.doesNotMatch(f.y2!.label, /%/);
  assert.match(f.y.label, /%/);
});

test('tables: no header runs into the next; the heatmap has a colour bar', () => {
  const svg = figureSvg({
    type: 'table',
    id: 't',
    title: 'ranking',
    columns: ['Real soft error (%)', 'Real rank', 'Ideal soft error (%)', 'Ideal rank'].map((label) => ({
      label,
      unit: 'percent' as const,
    })),
    rows: [{ label: 'mlp_32', values: [1, 2, 3, 4] }],
    source: 't',
  });
  const heads = [...svg.matchAll(/class="th" x="([\d.]+)"[^>]*>([^<]*)</g)].map((m) => ({
    right: Number(m[1]),
    label: m[2]!,
  }));
  // Right-aligned at 11 px: a header takes about 6.5 px a character to the left of its x.
  for (let j = 1; j < heads.length; j++)
    assert.ok(
      heads[j]!.right - heads[j]!.label.length * 6.5 > heads[j - 1]!.right,
      `${heads[j]!.label} clear`,
    );
  const heat = figureSvg({
    type: 'heatmap',
    id: 'h',
    title: 'disagreement',
    rows: ['a', 'b'],
    cols: ['a', 'b'],
    values: [
      [0, 12.5],
      [12.5, 0],
    ],
    unit: 'percent',
    source: 't',
  });
  assert.match(heat, /class="colorbar"[\s\S]*12\.50%/);
});

test('lottery: a many-replicate run is titled by its seeds; branches keep their colours in both figures', () => {
  const curve: LotteryCurve = {
    levels: [
      { level: 0, remaining: 1, testAccuracy: 0.9, replicates: [0.9, 0.9], branches: {} },
      {
        level: 1,
        remaining: 0.5,
        testAccuracy: 0.91,
        replicates: [0.91, 0.91],
        branches: {
          random_mask: { remaining: 0.5, testAccuracy: 0.8 },
          reinit: { remaining: 0.5, testAccuracy: 0.85 },
        },
      },
    ],
  };
  const [fig] = lotteryFigures(source(), row('lottery_x', {}, 0), curve, 'lottery mlp_32 p=0.2 seed=0');
  assert.match(fig!.title, /seeds 0–1$/);
  const swapped: LotteryCurve = {
    levels: curve.levels.map((l) => ({
      ...l,
      branches: Object.fromEntries(Object.entries(l.branches!).reverse()),
    })),
  };
  const [fig2] = lotteryFigures(source(), row('lottery_x', {}, 0), swapped, 'x');
  const colourOf = (f: typeof fig, name: string) =>
    (f as LineFigure).series.find((s) => s.label === name)!.color;
  assert.equal(colourOf(fig, 'reinit'), colourOf(fig2, 'reinit'));
  assert.notEqual(colourOf(fig, 'reinit'), colourOf(fig, 'random_mask'));
});

test('generic charts: remaining weights in percent, as the runs table shows them', () => {
  const f = chartFigure({
    id: 'metrics:remaining',
    title: 'remaining',
    xLabel: 'level',
    yLabel: 'remaining',
    series: [{ label: 'remaining', x: [0, 1], y: [1, 0.8] }],
    source: 'metrics',
  });
  assert.deepEqual(f.series[0]!.y, [100, 80]);
  assert.match(f.y.label, /%/);
});

test('dst: a point on a FLOPs axis is labelled with its sparsity', async () => {
  const { dstFigures } = await import('../src/figures/dst.js');
  const { runFacts } = await import('../src/figures/runs.js');
  const at = (id: string, s: number, flops: number): RunRow => ({
    ...row(id, { method: 'rigl', sparsity: s }, 0),
    result: { testAccuracy: 0.9, flops: { trainingFraction: flops, inferenceFraction: flops } },
  });
  const src = source();
  const figs = dstFigures(
    src,
    [at('dst_a', 0.9, 0.1), at('dst_b', 0.8, 0.2)].map((r) => runFacts(src, r)),
  );
  const flops = figs.find((f) => f.id === 'dst:accuracy-vs-training-flops') as LineFigure;
  assert.deepEqual(flops.series[0]!.pointLabels, ['s=0.9', 's=0.8']);
  assert.match(figureSvg(withRanges(flops)), /class="point-label"[^>]*>s=0.9</);
});

test('generic charts: a branch or method keeps its look; seeds of one run share its hue, dashed apart', async () => {
  const { BRANCH_STYLES, METHOD_STYLES } = await import('../src/figures/styles.js');
  const f = chartFigure({
    id: 'compare:testAccuracy',
    title: 'test accuracy over training',
    xLabel: 'step',
    yLabel: 'test accuracy',
    series: ['rigl s=0.9 seed=0', 'rigl s=0.9 seed=1', 'reinit test', 'train mlp_8 seed=0'].map((label) => ({
      label,
      x: [1],
      y: [0.5],
    })),
    source: 'metrics',
  });
  const [a, b, c] = f.series;
  assert.equal(a!.color, METHOD_STYLES.rigl.color);
  assert.equal(b!.color, METHOD_STYLES.rigl.color);
  assert.ok(!a!.dashed && b!.dashed, 'the second seed is dashed');
  assert.equal(c!.color, BRANCH_STYLES.reinit!.color);
});

test("gradflow: the gradient-norm plot marks GMP's pruning and RigL's update windows, a tick per step", async () => {
  const { gradflowFigures } = await import('../src/figures/gradflow.js');
  const { GRADFLOW_STYLES } = await import('../src/figures/styles.js');
  const norm = { steps: [0, 10, 20, 30, 40], total: [1, 0.5, 0.4, 0.3, 0.2] };
  const report = {
    runs: ['pruned', 'rigl', 'lottery'].map((run) => ({ run, gradNorm: norm })),
    updateSteps: { gmp: [10, 15, 20, 25], rigl: [5, 10, 15, 20, 25, 30] },
  };
  const fig = gradflowFigures(report, 'g').find((f) => f.id.endsWith(':grad-norm')) as LineFigure;
  assert.deepEqual(
    fig.spans?.map((s) => [s.label, s.from, s.to, s.at?.length, s.color]),
    [
      ['GMP pruning, steps 10–25', 10, 25, 4, GRADFLOW_STYLES.pruned.color],
      ['RigL updates, steps 5–30', 5, 30, 6, GRADFLOW_STYLES.rigl.color],
    ],
  );
  const svg = figureSvg(withRanges(fig));
  assert.deepEqual(
    [...svg.matchAll(/<g class="span-events" data-label="([^"]+)" data-events="(\d+)"/g)].map((m) => [
      m[1],
      m[2],
    ]),
    [
      ['GMP pruning, steps 10–25', '4'],
      ['RigL updates, steps 5–30', '6'],
    ],
  );
  assert.equal(svg.match(/<rect class="span"/g)?.length, 2, 'each window shaded');
  // The ticks come after the lines: no marker hides an event.
  assert.ok(svg.lastIndexOf('class="series"') < svg.indexOf('class="span-events"'));
  assert.match(svg, /<text x="[\d.]+" y="[\d.]+">RigL updates, steps 5–30<\/text>/, 'in the legend');
  // Without RigL runs drawn, no RigL window; a report from before the marks draws none.
  const noRigl = { ...report, runs: report.runs.filter((r) => r.run !== 'rigl') };
  const only = gradflowFigures(noRigl, 'g')[0] as LineFigure;
  assert.deepEqual(
    only.spans?.map((s) => s.label),
    ['GMP pruning, steps 10–25'],
  );
  const old = gradflowFigures({ runs: report.runs }, 'g')[0] as LineFigure;
  assert.deepEqual(old.spans, []);
});

test('svg: a log axis over less than two decades is labelled 1-2-5, not at one power of ten', () => {
  const fig = withRanges({
    type: 'line',
    id: 'log',
    title: 'log',
    x: { label: 'iteration', unit: 'integer' },
    y: { label: 'norm', unit: 'number', log: true },
    series: [{ label: 'a', x: [0, 1, 2], y: [0.25, 1, 6], color: '#000000' }],
    source: 'test',
  });
  const ticks = [...figureSvg(fig).matchAll(/class="ytick"[^>]*>([^<]*)</g)].map((m) => m[1]);
  assert.deepEqual(ticks, ['0.5', '1', '2', '5']);
});

test('svg: a bar chart’s legend swatches are as solid as its bars', () => {
  const svg = figureSvg({
    type: 'bar',
    id: 'bars',
    title: 'bars',
    categories: ['fc1', 'fc2'],
    y: { label: 'density (%)', unit: 'percent' },
    series: [{ label: 'erk s=0.9', values: [8, 23], color: '#0072b2' }],
    source: 'test',
  });
  const legend = svg.slice(svg.indexOf('<g class="legend">'));
  assert.match(legend, /<rect [^>]*fill="#0072b2" fill-opacity="1"\/>/);
});

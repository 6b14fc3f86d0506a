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

/**
 * Generic line figures, found by shape: a run's index metrics and the curves in its JSON files
 * become `LineFigure`s that the browser (Chart.js) and `sprig plot` (SVG) both draw. Kinds are not
 * hard-coded: any array of points with a step, and any `{steps: [], <name>: []}` columns, become
 * figures; a lottery curve.json (levels with `remaining`) becomes accuracy against remaining weights
 * on a log axis. They are gathered as `ChartData` (the data's own units) and made figures by
 * `chartFigure`, which decides display units and colours.
 */
import type { MetricRow } from '../store/index-db.js';
import type { ChartData, DataSeries, LineFigure } from './types.js';
import { palette } from './palette.js';
import { knownStyle, repeatStyles, type SeriesStyle } from './styles.js';
import { withRanges } from './axes.js';
import { isLotteryCurve, type LotteryCurve } from './lottery.js';
import { FILES } from '../store/names.js';

/** A run's metrics step by lottery level for a lottery (and its one-shot), else by training iteration. */
export const metricsXLabel = (kind: string) =>
  kind === 'lottery' || kind === 'lottery_oneshot' ? 'level' : 'step';

/** Metrics that are the x axis of others, not quantities to plot. */
const X_LIKE = new Set(['step', 'steps', 'epoch', 'level', 'samplesSeen', 'alpha', 'alphas', 'x']);
const SPLIT = /^(test|train|validation|val)(?=[A-Z])/;
const MAX_CHARTS_PER_FILE = 48;

/** "testSoftError" → {quantity: "SoftError", split: "test"}; names without a split are their own quantity. */
function splitName(name: string): { quantity: string; split: string } {
  const m = SPLIT.exec(name);
  return m ? { quantity: name.slice(m[0].length), split: m[1]! } : { quantity: name, split: '' };
}

/** "SoftError" → "soft error"; "testAccuracyStd" stays readable. */
export function humanize(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase()
    .trim();
}

/**
 * A run's index metrics, one chart per quantity: test and train loss share the loss chart, a
 * lottery's branches (`kd.testAccuracy`) share the main line's chart.
 */
export function metricCharts(rows: MetricRow[], xLabel = 'step'): LineFigure[] {
  return metricChartData(rows, xLabel).map(chartFigure);
}

function metricChartData(rows: MetricRow[], xLabel: string): ChartData[] {
  const charts = new Map<string, ChartData>();
  const series = new Map<string, DataSeries>();
  for (const r of rows) {
    if (r.value === null || !Number.isFinite(r.value)) continue;
    const dot = r.name.lastIndexOf('.');
    const prefix = dot >= 0 ? r.name.slice(0, dot) : '';
    const base = r.name.slice(dot + 1);
    if (X_LIKE.has(base) || base.endsWith('Std')) continue;
    const { quantity, split } = splitName(base);
    let chart = charts.get(quantity);
    if (!chart) {
      chart = {
        id: `metrics:${quantity}`,
        title: humanize(quantity),
        xLabel,
        yLabel: humanize(quantity),
        series: [],
        source: 'metrics',
      };
      charts.set(quantity, chart);
    }
    const label = [prefix, split].filter(Boolean).join(' ') || humanize(quantity);
    const key = `${quantity}\u0000${label}`;
    let s = series.get(key);
    if (!s) {
      s = { label, x: [], y: [] };
      series.set(key, s);
      chart.series.push(s);
    }
    s.x.push(r.step);
    s.y.push(r.value);
  }
  // Accuracy first, then loss, then the rest in the order they appeared.
  const rank = (q: string) => ['Accuracy', 'Loss', 'SoftError'].indexOf(q);
  return [...charts.entries()]
    .sort(([a], [b]) => (rank(a) < 0 ? 99 : rank(a)) - (rank(b) < 0 ? 99 : rank(b)))
    .map(([, c]) => c);
}

/** One metric's points (by exact name), for compare views and `sprig plot`. */
export function metricSeries(rows: MetricRow[], name: string, label = name): DataSeries {
  const s: DataSeries = { label, x: [], y: [] };
  for (const r of rows) {
    if (r.name !== name || r.value === null || !Number.isFinite(r.value)) continue;
    s.x.push(r.step);
    s.y.push(r.value);
  }
  return s;
}

type LotteryStat = Pick<LotteryCurve['levels'][number], 'testAccuracy' | 'testAccuracyStd' | 'remaining'> & {
  branches?: Record<string, LotteryStat>;
};

/** Accuracy against remaining weights (log x, as in Frankle & Carbin 2019, fig. 1): main line, branches, one-shot. */
function lotteryChart(curve: LotteryCurve, source: string = FILES.curve): ChartData {
  const series: DataSeries[] = [];
  const add = (label: string, points: LotteryStat[]) => {
    if (!points.length) return;
    series.push({
      label,
      x: points.map((p) => p.remaining),
      y: points.map((p) => p.testAccuracy),
      std: points.map((p) => p.testAccuracyStd ?? 0),
    });
  };
  const branchNames = (pts: LotteryStat[]) => [...new Set(pts.flatMap((p) => Object.keys(p.branches ?? {})))];
  add('main (IMP)', curve.levels);
  for (const b of branchNames(curve.levels))
    add(
      b,
      curve.levels.flatMap((l) => (l.branches?.[b] ? [l.branches[b]] : [])),
    );
  const oneShot = curve.oneShot ?? [];
  add('one-shot', oneShot);
  for (const b of branchNames(oneShot))
    add(
      `one-shot ${b}`,
      oneShot.flatMap((l) => (l.branches?.[b] ? [l.branches[b]] : [])),
    );
  return {
    id: `${source}:lottery`,
    title: 'test accuracy vs remaining weights',
    xLabel: 'remaining weights (log scale)',
    yLabel: 'test accuracy',
    xLog: true,
    xReverse: true,
    xPercent: true,
    series,
    source,
  };
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The x key of an array of points: `step` (or `epoch`, `level`, `alpha`) present in every point. */
function pointsXKey(v: unknown): string | undefined {
  if (!Array.isArray(v) || v.length < 2 || !v.every(isRecord)) return undefined;
  return ['step', 'epoch', 'level', 'alpha'].find((k) => v.every((p) => isNum(p[k])));
}

/** The x key of columns: `steps` (or `alphas`, `x`) and sibling number arrays of the same length. */
function columnsXKey(v: Record<string, unknown>): string | undefined {
  return ['steps', 'step', 'alphas', 'x'].find(
    (k) => Array.isArray(v[k]) && (v[k] as unknown[]).length > 1 && (v[k] as unknown[]).every(isNum),
  );
}

/** Array points → one chart per quantity (test and train together); nested number records (per-layer norms) → one chart each. */
function chartsFromPoints(
  points: Record<string, unknown>[],
  xKey: string,
  path: string,
  source: string,
): ChartData[] {
  const groups = new Map<string, ChartData>();
  const chart = (key: string, title: string, yLabel: string) => {
    let c = groups.get(key);
    if (!c)
      groups.set(
        key,
        (c = {
          id: `${source}:${path}:${key}`,
          title: path ? `${path}: ${title}` : title,
          xLabel: xKey,
          yLabel,
          series: [],
          source,
        }),
      );
    return c;
  };
  const push = (c: ChartData, label: string, x: number, y: unknown) => {
    if (!isNum(y)) return;
    let s = c.series.find((q) => q.label === label);
    if (!s) c.series.push((s = { label, x: [], y: [] }));
    s.x.push(x);
    s.y.push(y);
  };
  for (const p of points) {
    const x = p[xKey] as number;
    for (const [k, v] of Object.entries(p)) {
      if (X_LIKE.has(k) || k === xKey) continue;
      if (isRecord(v)) {
        const c = chart(k, humanize(k), humanize(k));
        for (const [sub, y] of Object.entries(v)) push(c, sub, x, y);
      } else if (isNum(v) || v === null) {
        const { quantity, split } = splitName(k);
        push(chart(quantity, humanize(quantity), humanize(quantity)), split || humanize(quantity), x, v);
      }
    }
  }
  return [...groups.values()].filter((c) => c.series.some((s) => s.x.length > 0));
}

function chartFromColumns(
  v: Record<string, unknown>,
  xKey: string,
  path: string,
  source: string,
): ChartData | undefined {
  const x = v[xKey] as number[];
  const series: DataSeries[] = [];
  const addColumn = (label: string, col: unknown) => {
    if (Array.isArray(col) && col.length === x.length && col.every((c) => isNum(c) || c === null)) {
      const s: DataSeries = { label, x: [], y: [] };
      col.forEach((c, i) => {
        if (!isNum(c)) return;
        s.x.push(x[i]!);
        s.y.push(c);
      });
      series.push(s);
    }
  };
  for (const [k, col] of Object.entries(v)) {
    if (k === xKey) continue;
    if (isRecord(col)) for (const [sub, c] of Object.entries(col)) addColumn(`${k}.${sub}`, c);
    else addColumn(k, col);
  }
  if (!series.length) return undefined;
  const title = path || source;
  return {
    id: `${source}:${path}`,
    title,
    xLabel: xKey,
    yLabel: series.length === 1 ? humanize(series[0]!.label) : 'value',
    series,
    source,
  };
}

/** A readable name for an array element: its model/run/name/world field, else its index. */
function elementName(v: unknown, i: number): string {
  if (isRecord(v))
    for (const k of ['model', 'run', 'name', 'world', 'label'])
      if (typeof v[k] === 'string') return v[k] as string;
  return String(i);
}

/** Every chart a JSON document holds, found by shape (see the file comment). */
export function chartsFromJson(doc: unknown, source: string): LineFigure[] {
  return chartDataFromJson(doc, source).map(chartFigure);
}

function chartDataFromJson(doc: unknown, source: string): ChartData[] {
  if (isLotteryCurve(doc)) return [lotteryChart(doc, source)];
  const out: ChartData[] = [];
  const walk = (v: unknown, path: string, depth: number) => {
    if (out.length >= MAX_CHARTS_PER_FILE || depth > 6) return;
    const px = pointsXKey(v);
    if (px) return void out.push(...chartsFromPoints(v as Record<string, unknown>[], px, path, source));
    if (Array.isArray(v))
      return void v.forEach(
        (e, i) => (isRecord(e) || Array.isArray(e)) && walk(e, `${path}[${elementName(e, i)}]`, depth + 1),
      );
    if (!isRecord(v)) return;
    if (isLotteryCurve(v)) return void out.push(lotteryChart(v, source));
    const cx = columnsXKey(v);
    if (cx) {
      const c = chartFromColumns(v, cx, path, source);
      if (c) out.push(c);
      return;
    }
    for (const [k, c] of Object.entries(v))
      if (k !== 'hparams' && k !== 'plan') walk(c, path ? `${path}.${k}` : k, depth + 1);
  };
  walk(doc, '', 0);
  return out.slice(0, MAX_CHARTS_PER_FILE);
}

/** Quantities stored as fractions and shown in percent (remaining weights as the runs table shows them). */
const PERCENT_QUANTITY = /accuracy|error|remaining|density|sparsity/i;

/**
 * Metrics named together (`sprig plot --metric testAccuracy,trainLoss`): each in its own unit,
 * accuracy and error in percent on the left axis, the rest (a loss) unscaled on the right, dashed.
 * `metricOf[i]` is the metric name of `c.series[i]`.
 */
export function namedMetricsFigure(c: ChartData, metricOf: string[]): LineFigure {
  const pctAt = c.series.map((_, i) => PERCENT_QUANTITY.test(metricOf[i] ?? ''));
  if (pctAt.every(Boolean) || !pctAt.some(Boolean)) return chartFigure(c);
  const part = (want: boolean) => {
    const names = [...new Set(metricOf.filter((_, i) => pctAt[i] === want))].map(humanize).join(', ');
    return chartFigureRaw({
      ...c,
      title: names,
      yLabel: names,
      series: c.series.filter((_, i) => pctAt[i] === want),
    });
  };
  const left = part(true);
  const right = part(false);
  const colors = palette(c.series.length);
  const series = [...left.series, ...right.series.map((s) => ({ ...s, axis: 'y2' as const, dashed: true }))];
  return withRanges({
    ...left,
    title: c.title,
    y2: right.y,
    series: series.map((s, i) => ({ ...s, color: colors[i]! })),
  }) as LineFigure;
}

/**
 * A generic chart of one run's metrics or curve file (charts.ts) as a figure: accuracy and error
 * in percent, levels and steps as whole numbers, one colour per series.
 */
export function chartFigure(c: ChartData): LineFigure {
  return withRanges(chartFigureRaw(c)) as LineFigure;
}

/**
 * A branch or method keeps its own look in generic charts too (seeds of one configuration share its
 * hue, told apart by dash and marker); other series take the palette in order.
 */
function seriesStyles(labels: string[]): SeriesStyle[] {
  const colors = palette(labels.length);
  const keyOf = (l: string, i: number) => {
    const config = l.replace(/ seed=\d+( \(\w+\))?$/, '');
    return knownStyle(config) ? config : `\u0000${i}`;
  };
  return repeatStyles(
    labels.map((l, i) => keyOf(l, i)),
    (k) => k,
    (k) => (k.startsWith('\u0000') ? { color: colors[Number(k.slice(1))]! } : knownStyle(k)!),
  );
}

function chartFigureRaw(c: ChartData): LineFigure {
  const percent = PERCENT_QUANTITY.test(c.yLabel) || PERCENT_QUANTITY.test(c.title);
  const styles = seriesStyles(c.series.map((s) => s.label));
  const xInt = /^(step|steps|level|epoch|iteration)/.test(c.xLabel);
  return {
    type: 'line',
    id: c.id,
    title: c.title,
    x: {
      label: c.xPercent ? `${c.xLabel} (%)` : c.xLabel,
      unit: xInt ? 'integer' : c.xPercent ? 'percent' : 'number',
      log: c.xLog,
      reverse: c.xReverse,
      ticksAtData: c.xLog,
    },
    y: { label: percent ? `${c.yLabel} (%)` : c.yLabel, unit: percent ? 'percent' : 'number' },
    series: c.series.map((s, i) => ({
      label: s.label,
      x: c.xPercent ? s.x.map((v) => v * 100) : s.x,
      y: percent ? s.y.map((v) => v * 100) : s.y,
      std: s.std ? (percent ? s.std.map((v) => v * 100) : s.std) : undefined,
      ...styles[i]!,
    })),
    source: c.source,
  };
}

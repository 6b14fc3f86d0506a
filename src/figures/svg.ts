/**
 * Figures as standalone SVG (d3-scale for axes, d3-shape for paths), for `sprig plot`: lines with
 * ± std bands, a shaded gap, reference lines, a second y axis, bars, heatmaps and tables.
 */
import { scaleBand, scaleLinear, scaleLog, type ScaleContinuousNumeric } from 'd3-scale';
import { area, line } from 'd3-shape';
import type { Axis, BarFigure, Figure, HeatmapFigure, LineFigure, LineSeries, TableFigure } from './types.js';
import { domain, filterTicks, formatValue, tickFormatter } from './axes.js';

export interface SvgOptions {
  width?: number;
  height?: number;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const r2 = (v: number) => Math.round(v * 100) / 100;
type Scale = ScaleContinuousNumeric<number, number>;

interface Frame {
  width: number;
  height: number;
  m: { top: number; right: number; bottom: number; left: number };
  out: string[];
}

/** Legend columns: three, or two when labels are long. */
const legendCols = (labels: string[]) => (labels.some((l) => l.length > 30) ? 2 : 3);

/** A note broken into lines that fit the width (about 6.3 px a character at 11 px). */
function wrap(text: string, width: number): string[] {
  const max = Math.max(20, Math.floor((width - 20) / 6.3));
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > max) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

function open(fig: Figure, o: SvgOptions, labels: string[], right = 24): Frame {
  const width = o.width ?? 760;
  const rows = Math.ceil(labels.length / legendCols(labels));
  const note = fig.note ? wrap(fig.note, width) : [];
  const height = (o.height ?? 440) + rows * 16 + Math.max(0, note.length - 1) * 14;
  const top = 30 + note.length * 14 + (note.length ? 2 : 0) + rows * 16 + 8;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, system-ui, sans-serif" font-size="12" data-figure="${esc(fig.id)}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="600">${esc(fig.title)}</text>`,
  ];
  note.forEach((l, i) =>
    out.push(
      `<text class="note" x="${width / 2}" y="${34 + i * 14}" text-anchor="middle" fill="#555" font-size="11">${esc(l)}</text>`,
    ),
  );
  return { width, height, m: { top, right, bottom: 48, left: 70 }, out };
}

type LegendItem = Pick<LineSeries, 'label' | 'color' | 'dashed' | 'dotted' | 'marker'> & {
  band?: boolean;
  /** A bar's swatch: solid, as the bars are (a band's is as faint as the band). */
  bar?: boolean;
};

function legend(f: Frame, items: LegendItem[]): void {
  const cols = legendCols(items.map((i) => i.label));
  const colW = (f.width - f.m.left - f.m.right) / cols;
  const chars = Math.floor((colW - 30) / 7);
  const y0 = f.m.top - Math.ceil(items.length / cols) * 16 - 2;
  f.out.push('<g class="legend">');
  items.forEach((it, i) => {
    const x = f.m.left + (i % cols) * colW;
    const y = y0 + Math.floor(i / cols) * 16;
    f.out.push(
      it.band
        ? `<rect x="${x}" y="${y - 8}" width="18" height="9" fill="${it.color}" fill-opacity="${it.bar ? 1 : 0.25}"/>`
        : `<line x1="${x}" x2="${x + 18}" y1="${y - 4}" y2="${y - 4}" stroke="${it.color}" stroke-width="2.5"${dashArray(it)}/>` +
            (it.marker ? markerSvg(it, x + 9, y - 4) : ''),
      `<text x="${x + 23}" y="${y}">${esc(it.label.length > chars ? it.label.slice(0, chars - 1) + '…' : it.label)}</text>`,
    );
  });
  f.out.push('</g>');
}

function scale(axis: Axis, values: number[], range: [number, number]): Scale {
  const [lo, hi] = axis.range ?? domain(values, axis);
  const s = (axis.log ? scaleLog() : scaleLinear())
    .domain([lo, hi])
    .range(axis.reverse ? [range[1], range[0]] : range);
  if (!axis.log && axis.unit !== 'percent' && !axis.range) s.nice();
  return s as Scale;
}

function ticksOf(s: Scale, axis: Axis, data: number[], n: number): number[] {
  if (axis.ticksAtData) {
    const [lo, hi] = s.domain() as [number, number];
    const vals = [...new Set(data)]
      .filter((v) => v >= Math.min(lo, hi) && v <= Math.max(lo, hi))
      .sort((a, b) => a - b);
    const every = Math.ceil(vals.length / 10);
    return vals.filter((_, i) => i % every === 0);
  }
  if (axis.log) {
    const t = s.ticks(n);
    if (t.length <= 12) return t;
    // Powers of ten, or, when the range spans less than two decades, 1-2-5 (as the dashboard does).
    const decades = t.filter((v) => Number.isInteger(+Math.log10(v).toFixed(9)));
    const lead = (v: number) => +(v / 10 ** Math.floor(+Math.log10(v).toFixed(9))).toPrecision(2);
    return decades.length >= 3 ? decades : t.filter((v) => [1, 2, 5].includes(lead(v)));
  }
  return filterTicks(s.ticks(n), axis);
}

function axes(f: Frame, x: Scale, xa: Axis, xt: number[], y: Scale, ya: Axis, yt: number[]): void {
  const { m, width, height, out } = f;
  const fx = tickFormatter(xt, xa);
  const fy = tickFormatter(yt, ya);
  out.push('<g class="grid" stroke="#e8e8e8">');
  for (const t of yt)
    out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${r2(y(t))}" y2="${r2(y(t))}"/>`);
  for (const t of xt)
    out.push(`<line x1="${r2(x(t))}" x2="${r2(x(t))}" y1="${m.top}" y2="${height - m.bottom}"/>`);
  out.push('</g>', '<g class="axes" fill="#444">');
  for (const t of yt)
    out.push(`<text class="ytick" x="${m.left - 6}" y="${r2(y(t) + 4)}" text-anchor="end">${fy(t)}</text>`);
  for (const t of xt)
    out.push(
      `<text class="xtick" x="${r2(x(t))}" y="${height - m.bottom + 16}" text-anchor="middle">${fx(t)}</text>`,
    );
  out.push(
    `<line x1="${m.left}" x2="${width - m.right}" y1="${height - m.bottom}" y2="${height - m.bottom}" stroke="#888"/>`,
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${height - m.bottom}" stroke="#888"/>`,
    `<text x="${(m.left + width - m.right) / 2}" y="${height - 10}" text-anchor="middle">${esc(xa.label)}</text>`,
    `<text transform="translate(16 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(ya.label)}</text>`,
    '</g>',
  );
}

function lineSvg(fig: LineFigure, o: SvgOptions): string {
  const items = [
    ...fig.series.map((s) => ({ ...s, label: s.label })),
    ...(fig.refLines ?? []).map((r) => ({ label: r.label, color: r.color, dashed: true })),
    ...(fig.spans ?? []).map((s) => ({ label: s.label, color: s.color, band: true })),
    ...shadeLegend(fig.shade),
  ];
  const f = open(
    fig,
    o,
    items.map((i) => i.label),
    fig.y2 ? 70 : 24,
  );
  const sc = lineScales(f, fig);
  if (sc.y2 && fig.y2) rightAxis(f, sc.y2, fig.y2);
  // Marked spans and the shaded gap between two series (the bootstrap gap), under everything else.
  spansSvg(f, fig, sc.x, 'bands');
  if (fig.shade) shadeSvg(f, fig, fig.shade, sc);
  for (const s of fig.series) seriesSvg(f, fig, s, sc);
  spansSvg(f, fig, sc.x, 'ticks'); // over the lines: a marker never hides an event
  refLinesSvg(f, fig, sc);
  legend(f, items);
  f.out.push('</svg>');
  return f.out.join('\n') + '\n';
}

type LineScales = { x: Scale; y: Scale; y2?: Scale };

/** The scales of a line figure (data, ± std bands and reference lines in view), and its axes drawn. */
function lineScales(f: Frame, fig: LineFigure): LineScales {
  const { m, width, height } = f;
  const left = fig.series.filter((s) => s.axis !== 'y2');
  const right = fig.series.filter((s) => s.axis === 'y2');
  const xs = [
    ...fig.series.flatMap((s) => s.x),
    ...(fig.refLines ?? []).filter((r) => r.axis === 'x').map((r) => r.value),
    ...(fig.spans ?? []).flatMap((s) => [s.from, s.to]),
  ];
  const withBand = (ss: typeof left) =>
    ss.flatMap((s) => s.y.flatMap((v, i) => [v, v + (s.std?.[i] ?? 0), v - (s.std?.[i] ?? 0)]));
  const ys = [...withBand(left), ...(fig.refLines ?? []).filter((r) => r.axis === 'y').map((r) => r.value)];
  const x = scale(fig.x, xs, [m.left, width - m.right]);
  const y = scale(fig.y, ys, [height - m.bottom, m.top]);
  const y2 = fig.y2 ? scale(fig.y2, withBand(right), [height - m.bottom, m.top]) : undefined;
  axes(f, x, fig.x, ticksOf(x, fig.x, xs, 8), y, fig.y, ticksOf(y, fig.y, ys, 6));
  return { x, y, y2 };
}

/** The second y axis, on the right. */
function rightAxis(f: Frame, y2: Scale, axis: Axis): void {
  const { m, width, height, out } = f;
  const t = ticksOf(y2, axis, [], 6);
  const fy = tickFormatter(t, axis);
  out.push('<g class="axes y2" fill="#444">');
  for (const v of t) out.push(`<text x="${width - m.right + 6}" y="${r2(y2(v) + 4)}">${fy(v)}</text>`);
  out.push(
    `<line x1="${width - m.right}" x2="${width - m.right}" y1="${m.top}" y2="${height - m.bottom}" stroke="#888"/>`,
    `<text transform="translate(${width - 14} ${(m.top + height - m.bottom) / 2}) rotate(90)" text-anchor="middle">${esc(axis.label)}</text>`,
    '</g>',
  );
}

/**
 * Each span as a light band over the plot's height (drawn first), and its events as ticks in a lane
 * of their own along the bottom (drawn last; lanes stack upwards), so overlapping windows stay apart.
 */
function spansSvg(f: Frame, fig: LineFigure, x: Scale, part: 'bands' | 'ticks'): void {
  const { m, height, out } = f;
  const bottom = height - m.bottom;
  (fig.spans ?? []).forEach((s, i) => {
    const [a, b] = [x(s.from), x(s.to)].sort((p, q) => p - q) as [number, number];
    const lane = bottom - 3 - i * 9;
    if (part === 'bands')
      out.push(
        `<rect class="span" data-label="${esc(s.label)}" x="${r2(a)}" y="${m.top}" width="${r2(Math.max(1, b - a))}" height="${r2(bottom - m.top)}" fill="${s.color}" fill-opacity="0.07"/>`,
      );
    else
      out.push(
        `<g class="span-events" data-label="${esc(s.label)}" data-events="${s.at?.length ?? 0}">`,
        ...(s.at ?? []).map(
          (v) =>
            `<line x1="${r2(x(v))}" x2="${r2(x(v))}" y1="${r2(lane - 6)}" y2="${r2(lane)}" stroke="${s.color}" stroke-width="1.2"/>`,
        ),
        '</g>',
      );
  });
}

function shadeLegend(shade: LineFigure['shade']): LegendItem[] {
  if (!shade) return [];
  const above = { label: shade.label, color: shade.color, band: true };
  return shade.belowColor
    ? [above, { label: shade.belowLabel ?? '', color: shade.belowColor, band: true }]
    : [above];
}

function shadeSvg(
  f: Frame,
  fig: LineFigure,
  shade: NonNullable<LineFigure['shade']>,
  { x, y }: LineScales,
): void {
  const a = fig.series[shade.upper];
  const b = fig.series[shade.lower];
  if (!a || !b) return;
  const bAt = new Map(b.x.map((v, i) => [v, b.y[i]!]));
  const pts = a.x.flatMap((v, i) => (bAt.has(v) ? [{ x: v, hi: a.y[i]!, lo: bAt.get(v)! }] : []));
  // Where upper is above lower in one colour, below in the other (the gap's sign).
  const part = (cls: string, color: string, y0: (p: (typeof pts)[number]) => number, y1: typeof y0) => {
    const d = area<(typeof pts)[number]>()
      .x((p) => x(p.x))
      .y0((p) => y(y0(p)))
      .y1((p) => y(y1(p)))
      .digits(2)(pts);
    f.out.push(`<path class="${cls}" d="${d ?? ''}" fill="${color}" fill-opacity="0.22" stroke="none"/>`);
  };
  const below = shade.belowColor;
  part(
    'shade',
    shade.color,
    (p) => p.lo,
    (p) => (below ? Math.max(p.hi, p.lo) : p.hi),
  );
  if (below)
    part(
      'shade below',
      below,
      (p) => p.hi,
      (p) => Math.max(p.hi, p.lo),
    );
}

/** One series: its ± std band (an error bar for one point), its line, and its points when few. */
function seriesSvg(f: Frame, fig: LineFigure, s: LineFigure['series'][number], sc: LineScales): void {
  const { out } = f;
  const x = sc.x;
  const yy = s.axis === 'y2' && sc.y2 ? sc.y2 : sc.y;
  const ok = (v: number, a: Axis) => Number.isFinite(v) && (!a.log || v > 0);
  const pts = s.x
    .map((v, i) => ({ x: v, y: s.y[i]!, sd: s.std?.[i] ?? 0 }))
    .filter((p) => ok(p.x, fig.x) && ok(p.y, fig.y));
  out.push(`<g class="series" data-label="${esc(s.label)}" data-points="${pts.length}">`);
  if (s.std?.some((v) => v > 0)) {
    const d = area<(typeof pts)[number]>()
      .x((p) => x(p.x))
      .y0((p) => yy(p.y - p.sd))
      .y1((p) => yy(p.y + p.sd))
      .digits(2)(pts);
    out.push(`<path class="band" d="${d ?? ''}" fill="${s.color}" fill-opacity="0.2" stroke="none"/>`);
    // A one-point band has no area: an error bar shows it.
    if (pts.length === 1)
      out.push(
        `<line class="band" x1="${r2(x(pts[0]!.x))}" x2="${r2(x(pts[0]!.x))}" y1="${r2(yy(pts[0]!.y - pts[0]!.sd))}" y2="${r2(yy(pts[0]!.y + pts[0]!.sd))}" stroke="${s.color}" stroke-width="2"/>`,
      );
  }
  if (!s.pointsOnly) {
    const d = line<(typeof pts)[number]>()
      .x((p) => x(p.x))
      .y((p) => yy(p.y))
      .digits(2)(pts);
    out.push(`<path d="${d ?? ''}" fill="none" stroke="${s.color}" stroke-width="2"${dashArray(s)}/>`);
  }
  if (pts.length <= 60) for (const p of pts) out.push(markerSvg(s, x(p.x), yy(p.y)));
  s.x.forEach((v, i) => {
    const text = s.pointLabels?.[i];
    if (text && ok(v, fig.x) && ok(s.y[i]!, fig.y))
      out.push(
        `<text class="point-label" x="${r2(x(v) + 6)}" y="${r2(yy(s.y[i]!) - 6)}" font-size="10" fill="${s.color}">${esc(text)}</text>`,
      );
  });
  out.push('</g>');
}

const dashArray = (s: { dashed?: boolean; dotted?: boolean }) =>
  s.dotted ? ' stroke-dasharray="1.5 3"' : s.dashed ? ' stroke-dasharray="6 4"' : '';

/** A point's marker: its series' shape (circle when none), so overlapping series stay apart. */
export function markerSvg(s: Pick<LineSeries, 'color' | 'marker'>, cx: number, cy: number, r = 3.5): string {
  const at = (pts: [number, number][]) =>
    pts.map(([a, b]) => `${r2(cx + a * r)},${r2(cy + b * r)}`).join(' ');
  const fill = `fill="${s.color}" class="marker ${s.marker ?? 'circle'}"`;
  switch (s.marker) {
    case 'square':
      return `<rect x="${r2(cx - r * 0.85)}" y="${r2(cy - r * 0.85)}" width="${r2(r * 1.7)}" height="${r2(r * 1.7)}" ${fill}/>`;
    case 'triangle':
      return `<polygon points="${at([
        [0, -1.2],
        [1.1, 0.8],
        [-1.1, 0.8],
      ])}" ${fill}/>`;
    case 'diamond':
      return `<polygon points="${at([
        [0, -1.25],
        [1.1, 0],
        [0, 1.25],
        [-1.1, 0],
      ])}" ${fill}/>`;
    default:
      return `<circle cx="${r2(cx)}" cy="${r2(cy)}" r="${r2(r * 0.9)}" ${fill}/>`;
  }
}

function refLinesSvg(f: Frame, fig: LineFigure, { x, y }: LineScales): void {
  const { m, width, height } = f;
  for (const r of fig.refLines ?? []) {
    const [x1, x2, y1, y2] =
      r.axis === 'y'
        ? [m.left, width - m.right, y(r.value), y(r.value)]
        : [x(r.value), x(r.value), m.top, height - m.bottom];
    f.out.push(
      `<line class="ref" data-label="${esc(r.label)}" x1="${r2(x1)}" x2="${r2(x2)}" y1="${r2(y1)}" y2="${r2(y2)}" stroke="${r.color}" stroke-width="1.5" stroke-dasharray="4 3"/>`,
    );
  }
}

function barSvg(fig: BarFigure, o: SvgOptions): string {
  const f = open(
    fig,
    o,
    fig.series.map((s) => s.label),
  );
  const { m, width, height, out } = f;
  const x0 = scaleBand()
    .domain(fig.categories)
    .range([m.left, width - m.right])
    .padding(0.2);
  const x1 = scaleBand()
    .domain(fig.series.map((s) => s.label))
    .range([0, x0.bandwidth()])
    .padding(0.05);
  const vals = fig.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const y = scale(fig.y, [0, ...vals], [height - m.bottom, m.top]);
  const yt = ticksOf(y, fig.y, vals, 6);
  const fy = tickFormatter(yt, fig.y);
  out.push('<g class="grid" stroke="#e8e8e8">');
  for (const t of yt)
    out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${r2(y(t))}" y2="${r2(y(t))}"/>`);
  out.push('</g><g class="axes" fill="#444">');
  for (const t of yt)
    out.push(`<text x="${m.left - 6}" y="${r2(y(t) + 4)}" text-anchor="end">${fy(t)}</text>`);
  for (const c of fig.categories)
    out.push(
      `<text x="${r2(x0(c)! + x0.bandwidth() / 2)}" y="${height - m.bottom + 16}" text-anchor="middle">${esc(c)}</text>`,
    );
  out.push(
    `<line x1="${m.left}" x2="${width - m.right}" y1="${height - m.bottom}" y2="${height - m.bottom}" stroke="#888"/>`,
    `<text transform="translate(16 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(fig.y.label)}</text>`,
    '</g>',
  );
  for (const s of fig.series) {
    out.push(`<g class="series" data-label="${esc(s.label)}">`);
    s.values.forEach((v, i) => {
      if (v === null) return;
      const c = fig.categories[i]!;
      const bx = x0(c)! + x1(s.label)!;
      out.push(
        `<rect x="${r2(bx)}" y="${r2(y(v))}" width="${r2(x1.bandwidth())}" height="${r2(Math.max(0, y(0) - y(v)))}" fill="${s.color}"><title>${esc(`${s.label} ${c}: ${formatValue(v, fig.y.unit)}`)}</title></rect>`,
      );
    });
    out.push('</g>');
  }
  legend(
    f,
    fig.series.map((s) => ({ label: s.label, color: s.color, band: true, bar: true })),
  );
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** White (0) to dark blue (the largest value). */
export function heatColor(v: number, max: number): string {
  const t = max > 0 ? Math.min(1, v / max) : 0;
  const c = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${c(247, 8)},${c(251, 48)},${c(255, 107)})`;
}

function heatmapSvg(fig: HeatmapFigure, o: SvgOptions): string {
  // Wide enough for the longest column name, so neighbouring names do not run together.
  const longest = Math.max(0, ...fig.cols.map((c) => c.length));
  const cell = Math.max(
    28,
    longest * 7 + 10,
    Math.min(64, ((o.width ?? 760) - 200) / Math.max(1, fig.cols.length)),
  );
  const w = 140 + cell * fig.cols.length + 90;
  const f = open(fig, { width: Math.max(o.width ?? 760, w), height: 120 + cell * fig.rows.length }, []);
  const { out, m } = f;
  const max = Math.max(0, ...fig.values.flat().filter((v): v is number => v !== null));
  const x0 = 140;
  const y0 = m.top + 40;
  fig.cols.forEach((c, j) =>
    out.push(`<text x="${x0 + j * cell + cell / 2}" y="${y0 - 8}" text-anchor="middle">${esc(c)}</text>`),
  );
  fig.rows.forEach((r, i) => {
    out.push(`<text x="${x0 - 8}" y="${y0 + i * cell + cell / 2 + 4}" text-anchor="end">${esc(r)}</text>`);
    fig.cols.forEach((_, j) => {
      const v = fig.values[i]?.[j] ?? null;
      const fill = v === null ? '#eee' : heatColor(v, max);
      out.push(
        `<rect class="cell" x="${x0 + j * cell}" y="${y0 + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="${fill}"/>`,
        `<text x="${x0 + j * cell + cell / 2}" y="${y0 + i * cell + cell / 2 + 4}" text-anchor="middle" font-size="11" fill="${v !== null && v > max / 2 ? '#fff' : '#222'}">${formatValue(v, fig.unit)}</text>`,
      );
    });
  });
  colorBar(f, x0 + cell * fig.cols.length + 16, y0, cell * fig.rows.length, max, fig.unit);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The heatmap's scale: white at 0 to dark blue at the largest value, with both ends labelled. */
function colorBar(f: Frame, x: number, y: number, h: number, max: number, unit: Axis['unit']): void {
  const steps = 20;
  f.out.push('<g class="colorbar">');
  for (let i = 0; i < steps; i++)
    f.out.push(
      `<rect x="${x}" y="${r2(y + (h * i) / steps)}" width="14" height="${r2(h / steps + 0.5)}" fill="${heatColor(max * (1 - i / steps), max)}"/>`,
    );
  f.out.push(
    `<rect x="${x}" y="${y}" width="14" height="${r2(h)}" fill="none" stroke="#888"/>`,
    `<text x="${x + 18}" y="${y + 10}" font-size="11">${formatValue(max, unit)}${unit === 'percent' ? '%' : ''}</text>`,
    `<text x="${x + 18}" y="${r2(y + h)}" font-size="11">0${unit === 'percent' ? '%' : ''}</text>`,
    '</g>',
  );
}

/** Widths that fit the text: about 7 px a character at 11–12 px, so no header runs into the next. */
const textWidth = (s: string) => s.length * 7 + 16;

function tableSvg(fig: TableFigure, o: SvgOptions): string {
  const labelW = Math.max(90, ...fig.rows.map((r) => textWidth(r.label)));
  const widths = fig.columns.map((c, j) =>
    Math.max(
      70,
      textWidth(c.label),
      ...fig.rows.map((r) => textWidth(formatValue(r.values[j] ?? null, c.unit))),
    ),
  );
  const right = widths.map((_, j) => labelW + widths.slice(0, j + 1).reduce((a, b) => a + b, 0));
  const width = Math.max(o.width ?? 760, (right.at(-1) ?? labelW) + 16);
  const f = open(fig, { width, height: 90 + 22 * fig.rows.length }, []);
  const { out, m } = f;
  const y0 = m.top + 10;
  out.push('<g class="table">');
  fig.columns.forEach((c, j) =>
    out.push(
      `<text class="th" x="${right[j]! - 8}" y="${y0}" text-anchor="end" font-weight="600" font-size="11">${esc(c.label)}</text>`,
    ),
  );
  fig.rows.forEach((r, i) => {
    const y = y0 + 22 * (i + 1);
    out.push(`<text x="8" y="${y}">${esc(r.label)}</text>`);
    r.values.forEach((v, j) =>
      out.push(
        `<text x="${right[j]! - 8}" y="${y}" text-anchor="end">${esc(formatValue(v, fig.columns[j]!.unit))}</text>`,
      ),
    );
  });
  out.push('</g></svg>');
  return out.join('\n') + '\n';
}

export function figureSvg(fig: Figure, o: SvgOptions = {}): string {
  switch (fig.type) {
    case 'line':
      return lineSvg(fig, o);
    case 'bar':
      return barSvg(fig, o);
    case 'heatmap':
      return heatmapSvg(fig, o);
    case 'table':
      return tableSvg(fig, o);
  }
}

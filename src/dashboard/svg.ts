/**
 * A `ChartSpec` as a standalone SVG line chart, drawn on the server with d3-scale (axes, ticks,
 * log scales) and d3-shape (the line paths): no browser, so `sprig plot` works in a terminal and
 * its files drop into READMEs.
 */
import { scaleLinear, scaleLog } from 'd3-scale';
import { line } from 'd3-shape';
import type { ChartSpec } from './charts.js';

/** Tableau 10: distinguishable, and the same order as the dashboard's charts. */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

export interface SvgOptions {
  width?: number;
  height?: number;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number) =>
  Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : String(+v.toPrecision(4));

const thin = (v: number[], max: number) =>
  v.length <= max ? v : v.filter((_, i) => i % Math.ceil(v.length / max) === 0);

export function chartSvg(chart: ChartSpec, opts: SvgOptions = {}): string {
  const width = opts.width ?? 720;
  const height = opts.height ?? 400;
  const legendRows = chart.series.length > 1 ? Math.ceil(chart.series.length / 4) : 0;
  const m = { top: 40 + legendRows * 18, right: 24, bottom: 48, left: 64 };
  const xs = chart.series.flatMap((s) => s.x).filter((v) => !chart.xLog || v > 0);
  const ys = chart.series.flatMap((s) => s.y);
  const extent = (v: number[]): [number, number] => (v.length ? [Math.min(...v), Math.max(...v)] : [0, 1]);
  const [x0, x1] = extent(xs);
  const [y0, y1] = extent(ys);
  const x = (chart.xLog ? scaleLog() : scaleLinear())
    .domain(x0 === x1 ? [chart.xLog ? x0 / 2 : x0 - 1, chart.xLog ? x0 * 2 : x1 + 1] : [x0, x1])
    .range(chart.xReverse ? [width - m.right, m.left] : [m.left, width - m.right]);
  if (!chart.xLog) x.nice();
  const y = scaleLinear()
    .domain(y0 === y1 ? [y0 - 0.5, y1 + 0.5] : [y0, y1])
    .range([height - m.bottom, m.top])
    .nice();
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="600">${esc(chart.title)}</text>`,
  );
  // Grid and ticks.
  // A log axis is labelled at the data's own x values (the levels of a lottery run), at most 10.
  const xTicks = chart.xLog
    ? thin(
        [...new Set(xs)].sort((a, b) => a - b),
        10,
      )
    : x.ticks(8);
  const fmtX = (v: number) => (chart.xPercent ? `${+(v * 100).toPrecision(3)}%` : fmt(v));
  out.push('<g class="grid" stroke="#e5e5e5">');
  for (const t of y.ticks(6))
    out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${y(t)}" y2="${y(t)}"/>`);
  for (const t of xTicks)
    out.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${m.top}" y2="${height - m.bottom}"/>`);
  out.push('</g>', '<g class="axes" fill="#444">');
  for (const t of y.ticks(6))
    out.push(`<text x="${m.left - 6}" y="${y(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  for (const t of xTicks)
    out.push(`<text x="${x(t)}" y="${height - m.bottom + 16}" text-anchor="middle">${fmtX(t)}</text>`);
  out.push(
    `<line x1="${m.left}" x2="${width - m.right}" y1="${height - m.bottom}" y2="${height - m.bottom}" stroke="#888"/>`,
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${height - m.bottom}" stroke="#888"/>`,
    `<text x="${(m.left + width - m.right) / 2}" y="${height - 10}" text-anchor="middle">${esc(chart.xLabel)}</text>`,
    `<text transform="translate(16 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`,
    '</g>',
  );
  // One path per series, with a dot per point (a single point has no visible line).
  chart.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const pts = s.x.map((v, j) => [v, s.y[j]!] as [number, number]).filter(([v]) => !chart.xLog || v > 0);
    const d = line<[number, number]>()
      .x(([v]) => x(v))
      .y(([, v]) => y(v))
      .digits(2)(pts);
    out.push(`<g class="series" data-label="${esc(s.label)}" data-points="${pts.length}">`);
    out.push(`<path d="${d ?? ''}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [px, py] of pts)
      out.push(`<circle cx="${x(px).toFixed(2)}" cy="${y(py).toFixed(2)}" r="2.5" fill="${color}"/>`);
    out.push('</g>');
  });
  if (legendRows) {
    out.push('<g class="legend">');
    const colW = (width - m.left - m.right) / 4;
    chart.series.forEach((s, i) => {
      const lx = m.left + (i % 4) * colW;
      const ly = 42 + Math.floor(i / 4) * 18;
      out.push(
        `<rect x="${lx}" y="${ly - 9}" width="12" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`,
        `<text x="${lx + 16}" y="${ly}">${esc(s.label.length > 28 ? s.label.slice(0, 27) + '…' : s.label)}</text>`,
      );
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

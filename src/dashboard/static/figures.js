/* global document, window, Chart */
// Draws the figures of src/figures (plain JSON from /api/…/figures) in the browser: lines with
// Chart.js (± std bands, a shaded gap, reference lines, a second y axis), bars with Chart.js,
// heatmaps and tables as HTML. Values arrive in display units (percent already ×100).

export const charts = [];

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat())
    if (c !== undefined && c !== null) e.append(c instanceof window.Node ? c : String(c));
  return e;
}

export function formatNumber(v, step) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(1);
  if (step !== undefined) {
    // The fewest decimals that show the step exactly (2.5 needs one, 20 none).
    let decimals = 0;
    while (decimals < 6 && Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-6)
      decimals++;
    return v.toFixed(decimals);
  }
  return String(+v.toPrecision(3));
}

export function formatValue(v, unit) {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string') return v;
  if (unit === 'integer') return String(Math.round(v));
  if (unit === 'percent') return v.toFixed(2);
  return formatNumber(v);
}

const alpha = (hex, a) => {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
};

/** Round-number ticks inside [lo, hi] (whole numbers on integer axes). */
export function niceTicks(lo, hi, count, integer) {
  const raw = (hi - lo) / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  if (integer) step = Math.max(1, Math.round(step));
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(+t.toPrecision(12));
  return out;
}

function axisOptions(axis, data, extra = {}) {
  const o = {
    type: axis.log ? 'logarithmic' : 'linear',
    reverse: !!axis.reverse,
    title: { display: true, text: axis.label },
    min: axis.range?.[0],
    max: axis.range?.[1],
    ticks: {
      callback: (v) => {
        if (axis.unit === 'integer') return Number.isInteger(v) ? String(v) : null;
        if (axis.log && !axis.ticksAtData) {
          const l = Math.log10(v);
          if (
            Math.abs(l - Math.round(l)) > 1e-9 &&
            ![2, 5].includes(+(v / 10 ** Math.floor(l)).toPrecision(2))
          )
            return null;
        }
        return formatNumber(v, axis.log ? undefined : extra.step);
      },
    },
    ...extra.options,
  };
  if (axis.unit === 'integer') o.ticks.precision = 0;
  if (axis.ticksAtData)
    o.afterBuildTicks = (scale) =>
      (scale.ticks = [...new Set(data)].sort((a, b) => a - b).map((value) => ({ value })));
  else if (!axis.log)
    o.afterBuildTicks = (scale) =>
      (scale.ticks = niceTicks(scale.min, scale.max, 7, axis.unit === 'integer').map((value) => ({ value })));
  // Chart.js picks the tick spacing; labels get the decimals that spacing needs.
  o.afterTickToLabelConversion = (scale) => {
    const vals = scale.ticks.map((t) => t.value);
    const gaps = vals
      .slice(1)
      .map((t, i) => Math.abs(t - vals[i]))
      .filter((g) => g > 0);
    if (axis.unit === 'integer' || axis.log || !gaps.length) return;
    const step = Math.min(...gaps);
    for (const t of scale.ticks) t.label = formatNumber(t.value, step);
  };
  return o;
}

// src/figures' markers as Chart.js point styles: overlapping series keep their own shapes.
const POINT_STYLE = { circle: 'circle', square: 'rect', triangle: 'triangle', diamond: 'rectRot' };

// Writes each point's label (its sparsity on a FLOPs axis) beside it, as the SVG does.
const pointLabels = {
  id: 'pointLabels',
  afterDatasetsDraw(chart) {
    const { ctx } = chart;
    chart.data.datasets.forEach((d, i) => {
      if (!d.data.some((p) => p?.tag) || !chart.isDatasetVisible(i)) return;
      ctx.save();
      ctx.font = '10px system-ui, sans-serif';
      ctx.fillStyle = d.borderColor;
      chart
        .getDatasetMeta(i)
        .data.forEach((el, j) => d.data[j]?.tag && ctx.fillText(d.data[j].tag, el.x + 6, el.y - 6));
      ctx.restore();
    });
  },
};

// Marked spans (GMP's pruning window, RigL's updates), as the SVG draws them: a light band behind
// the data, and a tick per event in a lane along the bottom, drawn over the data so none is hidden.
const spanList = (chart) => chart.config.options.plugins.spans?.list ?? [];
const spans = {
  id: 'spans',
  beforeDatasetsDraw(chart) {
    const { ctx, chartArea: area, scales } = chart;
    for (const s of spanList(chart)) {
      const [a, b] = [s.from, s.to].map((v) => scales.x.getPixelForValue(v)).sort((p, q) => p - q);
      ctx.save();
      ctx.fillStyle = alpha(s.color, 0.07);
      ctx.fillRect(a, area.top, Math.max(1, b - a), area.bottom - area.top);
      ctx.restore();
    }
  },
  afterDatasetsDraw(chart) {
    const { ctx, chartArea: area, scales } = chart;
    spanList(chart).forEach((s, i) => {
      const lane = area.bottom - 3 - i * 9;
      ctx.save();
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1.2;
      ctx.beginPath();
      for (const v of s.at ?? []) {
        const x = scales.x.getPixelForValue(v);
        ctx.moveTo(x, lane - 6);
        ctx.lineTo(x, lane);
      }
      ctx.stroke();
      ctx.restore();
    });
  },
};

function lineConfig(fig) {
  const datasets = [];
  const lineIndex = [];
  const xs = fig.series.flatMap((s) => s.x);
  const [x0, x1] = fig.x.range ?? [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = fig.y.range ?? [0, 1];
  for (const s of fig.series) {
    const pts = s.x.map((x, j) => ({ x, y: s.y[j], std: s.std?.[j], n: s.n?.[j], tag: s.pointLabels?.[j] }));
    if (s.std?.some((v) => v > 0)) {
      datasets.push({
        label: `${s.label} +std`,
        band: true,
        data: pts.map((p) => ({ x: p.x, y: p.y + (p.std ?? 0) })),
        borderWidth: 0,
        pointRadius: 0,
        backgroundColor: alpha(s.color, 0.14),
        fill: '+1',
        yAxisID: s.axis === 'y2' ? 'y2' : 'y',
      });
      datasets.push({
        label: `${s.label} -std`,
        band: true,
        data: pts.map((p) => ({ x: p.x, y: p.y - (p.std ?? 0) })),
        borderWidth: 0,
        pointRadius: 0,
        fill: false,
        yAxisID: s.axis === 'y2' ? 'y2' : 'y',
      });
    }
    // A lone point's band has no width: an error bar shows its spread.
    if (pts.length === 1 && pts[0].std > 0)
      datasets.push({
        label: `${s.label} ±std`,
        band: true,
        data: [
          { x: pts[0].x, y: pts[0].y - pts[0].std },
          { x: pts[0].x, y: pts[0].y + pts[0].std },
        ],
        borderColor: s.color,
        borderWidth: 2,
        pointRadius: 0,
        fill: false,
        yAxisID: s.axis === 'y2' ? 'y2' : 'y',
      });
    lineIndex.push(datasets.length);
    datasets.push({
      label: s.label,
      data: pts,
      borderColor: s.color,
      backgroundColor: s.color,
      borderDash: s.dotted ? [1.5, 3] : s.dashed ? [6, 4] : undefined,
      showLine: !s.pointsOnly,
      pointStyle: POINT_STYLE[s.marker] ?? 'circle',
      pointRadius: pts.length > 60 ? 0 : 3.5,
      borderWidth: 2,
      tension: 0,
      fill: false,
      yAxisID: s.axis === 'y2' ? 'y2' : 'y',
    });
  }
  if (fig.shade && lineIndex[fig.shade.upper] !== undefined && lineIndex[fig.shade.lower] !== undefined) {
    const up = datasets[lineIndex[fig.shade.upper]];
    up.fill = {
      target: lineIndex[fig.shade.lower],
      above: alpha(fig.shade.color, 0.22),
      below: alpha(fig.shade.belowColor ?? fig.shade.color, 0.22),
    };
  }
  for (const r of fig.refLines ?? [])
    datasets.push({
      label: r.label,
      data:
        r.axis === 'y'
          ? [
              { x: x0, y: r.value },
              { x: x1, y: r.value },
            ]
          : [
              { x: r.value, y: y0 },
              { x: r.value, y: y1 },
            ],
      borderColor: r.color,
      backgroundColor: r.color,
      borderDash: [4, 3],
      borderWidth: 1.5,
      pointRadius: 0,
      fill: false,
      ref: true,
    });
  // A span's legend entry: a dataset without points, in the span's colour.
  for (const sp of fig.spans ?? [])
    datasets.push({
      label: sp.label,
      data: [],
      borderColor: sp.color,
      backgroundColor: alpha(sp.color, 0.25),
      pointStyle: 'rect',
      span: true,
    });
  const scales = {
    x: axisOptions(fig.x, xs),
    y: axisOptions(
      fig.y,
      fig.series.filter((s) => s.axis !== 'y2').flatMap((s) => s.y),
    ),
  };
  if (fig.y2)
    scales.y2 = axisOptions(fig.y2, [], { options: { position: 'right', grid: { drawOnChartArea: false } } });
  return {
    type: 'line',
    plugins: [pointLabels, spans],
    data: { datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: { xAxisKey: 'x', yAxisKey: 'y' },
      interaction: { mode: 'nearest', intersect: false },
      plugins: {
        title: { display: true, text: fig.title },
        subtitle: { display: !!fig.note, text: fig.note ?? '' },
        spans: { list: fig.spans ?? [] },
        legend: {
          labels: {
            boxWidth: 14,
            boxHeight: 10,
            usePointStyle: true,
            // A dashed or dotted series shows its line (the dash is what tells it apart), others their marker.
            generateLabels: (chart) =>
              Chart.defaults.plugins.legend.labels.generateLabels(chart).map((item) => {
                if (chart.data.datasets[item.datasetIndex]?.borderDash) item.pointStyle = 'line';
                return item;
              }),
            filter: (item, data) => !data.datasets[item.datasetIndex].band,
          },
        },
        tooltip: {
          filter: (item) => !item.dataset.band && !item.dataset.ref,
          callbacks: {
            label: (ctx) => {
              const p = ctx.raw;
              const unit = ctx.dataset.yAxisID === 'y2' ? fig.y2?.unit : fig.y.unit;
              const std = p.std ? ` ± ${formatValue(p.std, unit)}` : '';
              const n = p.n > 1 ? ` (n=${p.n})` : '';
              const tag = p.tag ? ` (${p.tag})` : '';
              return `${ctx.dataset.label}${tag}: ${formatValue(p.y, unit)}${std}${n} at ${formatValue(p.x, fig.x.unit)}`;
            },
          },
        },
      },
      scales,
    },
  };
}

function barConfig(fig) {
  return {
    type: 'bar',
    data: {
      labels: fig.categories,
      datasets: fig.series.map((s) => ({ label: s.label, data: s.values, backgroundColor: s.color })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: {
        title: { display: true, text: fig.title },
        subtitle: { display: !!fig.note, text: fig.note ?? '' },
      },
      scales: { y: { title: { display: true, text: fig.y.label }, beginAtZero: true } },
    },
  };
}

export function heatColor(v, max) {
  const t = max > 0 ? Math.min(1, v / max) : 0;
  const c = (a, b) => Math.round(a + (b - a) * t);
  return `rgb(${c(247, 8)},${c(251, 48)},${c(255, 107)})`;
}

/** The heatmap's scale: its colour from 0 to the largest value, both ends labelled. */
function colorBar(max, unit) {
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => `${heatColor(t * max, max)} ${t * 100}%`).join(',');
  const end = (v) => `${formatValue(v, unit)}${unit === 'percent' ? '%' : ''}`;
  return el(
    'div',
    { class: 'colorbar' },
    el('span', {}, end(0)),
    el('span', { class: 'ramp', style: `background:linear-gradient(to right,${stops})` }),
    el('span', {}, end(max)),
  );
}

function heatmapEl(fig) {
  const max = Math.max(0, ...fig.values.flat().filter((v) => v !== null));
  return el('div', {}, heatmapTable(fig, max), colorBar(max, fig.unit));
}

function heatmapTable(fig, max) {
  return el(
    'table',
    { class: 'heatmap' },
    el(
      'tr',
      {},
      el('th', {}, ''),
      fig.cols.map((c) => el('th', {}, c)),
    ),
    fig.rows.map((r, i) =>
      el(
        'tr',
        {},
        el('th', {}, r),
        fig.cols.map((_, j) => {
          const v = fig.values[i]?.[j] ?? null;
          return el(
            'td',
            {
              class: 'num',
              style: `background:${v === null ? '#eee' : heatColor(v, max)};color:${v !== null && v > max / 2 ? '#fff' : '#222'}`,
            },
            formatValue(v, fig.unit),
          );
        }),
      ),
    ),
  );
}

function tableEl(fig) {
  return el(
    'table',
    { class: 'figure-table' },
    el(
      'tr',
      {},
      el('th', {}, ''),
      fig.columns.map((c) => el('th', {}, c.label)),
    ),
    fig.rows.map((r) =>
      el(
        'tr',
        {},
        el('td', {}, r.label),
        r.values.map((v, j) => el('td', { class: 'num' }, formatValue(v, fig.columns[j].unit))),
      ),
    ),
  );
}

/** A card holding one figure; charts are kept in `charts` so a view change can destroy them. */
export function drawFigure(fig, { wide = false } = {}) {
  const points =
    fig.type === 'line'
      ? fig.series.reduce((n, s) => n + s.x.length, 0)
      : fig.type === 'bar'
        ? fig.categories.length
        : 0;
  if (fig.type === 'heatmap' || fig.type === 'table')
    return el(
      'div',
      { class: 'chart html wide', 'data-figure-id': fig.id, 'data-figure-type': fig.type },
      el('h3', {}, fig.title),
      fig.note ? el('p', { class: 'note' }, fig.note) : null,
      fig.type === 'heatmap' ? heatmapEl(fig) : tableEl(fig),
      el('span', { class: 'source' }, fig.source),
    );
  const canvas = el('canvas', { 'data-chart-id': fig.id, 'data-points': points });
  const card = el(
    'div',
    { class: `chart${wide ? ' wide' : ''}`, 'data-figure-id': fig.id, 'data-figure-type': fig.type },
    canvas,
    el('span', { class: 'source' }, fig.source),
  );
  charts.push(new Chart(canvas, fig.type === 'bar' ? barConfig(fig) : lineConfig(fig)));
  return card;
}

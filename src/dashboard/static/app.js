/* global document, window, fetch, location, URLSearchParams, setTimeout, clearTimeout, Chart */
// The sprig dashboard page: three views behind the hash (#/ runs, #/run/ID, #/compare/ID,ID…),
// each drawn from the JSON API. Read-only: nothing here changes the store.

const PALETTE = [
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
const view = document.getElementById('view');
let charts = [];
let refreshTimer = null;

async function api(path) {
  const res = await fetch(path);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

/** A DOM element: el('td', {class: 'num'}, 'text', child…). Text is never parsed as HTML. */
function el(tag, attrs = {}, ...children) {
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

const pct = (x) => (typeof x === 'number' ? `${(x * 100).toFixed(2)}%` : '–');
const fmt = (x) =>
  typeof x !== 'number'
    ? String(x ?? '–')
    : Number.isInteger(x)
      ? String(x)
      : Math.abs(x) < 1e-3 && x !== 0
        ? x.toExponential(2)
        : (+x.toPrecision(5)).toString();
const runLink = (id) => el('a', { href: `#/run/${encodeURIComponent(id)}` }, id);
const status = (s) => el('span', { class: `status ${s}` }, s);

function clear() {
  for (const c of charts) c.destroy();
  charts = [];
  if (refreshTimer) clearTimeout(refreshTimer);
  refreshTimer = null;
  view.replaceChildren();
}

/** Draws a ChartSpec (see src/dashboard/charts.ts) with Chart.js into a new card. */
function drawChart(spec, { wide = false } = {}) {
  const canvas = el('canvas', {
    'data-chart-id': spec.id,
    'data-points': spec.series.reduce((n, s) => n + s.x.length, 0),
  });
  const card = el(
    'div',
    { class: `chart${wide ? ' wide' : ''}` },
    canvas,
    el('span', { class: 'source' }, spec.source),
  );
  const datasets = spec.series.map((s, i) => ({
    label: s.label,
    data: s.x.map((x, j) => ({ x, y: s.y[j], std: s.std?.[j] })),
    borderColor: PALETTE[i % PALETTE.length],
    backgroundColor: PALETTE[i % PALETTE.length],
    pointRadius: s.x.length > 60 ? 0 : 2.5,
    borderWidth: 2,
    tension: 0,
  }));
  const chart = new Chart(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: { xAxisKey: 'x', yAxisKey: 'y' },
      interaction: { mode: 'nearest', intersect: false },
      plugins: {
        title: { display: true, text: spec.title },
        legend: { display: spec.series.length > 1, labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const p = ctx.raw;
              return `${ctx.dataset.label}: ${fmt(p.y)}${p.std ? ` ± ${fmt(p.std)}` : ''} (${spec.xPercent ? `${+(p.x * 100).toPrecision(3)}%` : `${spec.xLabel.split(' ')[0]} ${fmt(p.x)}`})`;
            },
          },
        },
      },
      scales: {
        x: {
          type: spec.xLog ? 'logarithmic' : 'linear',
          reverse: !!spec.xReverse,
          title: { display: true, text: spec.xLabel },
          // A log axis is labelled at the data's own x values (each lottery level's remaining weights).
          afterBuildTicks: spec.xLog
            ? (scale) =>
                (scale.ticks = [...new Set(spec.series.flatMap((s) => s.x))]
                  .sort((a, b) => a - b)
                  .map((value) => ({ value })))
            : undefined,
          ticks: { callback: (v) => (spec.xPercent ? `${+(v * 100).toPrecision(3)}%` : fmt(v)) },
        },
        y: { title: { display: true, text: spec.yLabel } },
      },
    },
  });
  charts.push(chart);
  return card;
}

// ---------- runs list ----------

const columns = [
  { key: 'runId', label: 'run' },
  { key: 'kind', label: 'kind' },
  { key: 'status', label: 'status' },
  { key: 'model', label: 'model', get: (r) => r.hparams?.model?.name ?? '' },
  { key: 'dataset', label: 'dataset', get: (r) => r.hparams?.dataset?.name ?? '' },
  { key: 'acc', label: 'test acc', num: true, get: (r) => r.result?.testAccuracy, show: pct },
  { key: 'remaining', label: 'remaining', num: true, get: (r) => r.result?.remaining, show: pct },
  {
    key: 'updatedAt',
    label: 'updated',
    get: (r) => r.updatedAt,
    show: (v) => (v ?? '').slice(0, 19).replace('T', ' '),
  },
];
const listState = { sort: 'updatedAt', desc: true, kind: '', status: '', all: false, selected: new Set() };

async function runsView(params) {
  for (const k of ['kind', 'status']) listState[k] = params.get(k) ?? '';
  listState.all = params.get('all') === '1';
  const everything = await api(`/api/runs?all=1`);
  const q = new URLSearchParams({
    kind: listState.kind,
    status: listState.status,
    all: listState.all ? '1' : '0',
  });
  const { root, runs } = await api(`/api/runs?${q}`);
  document.getElementById('root').textContent = root;
  clear();
  const go = () => {
    const p = new URLSearchParams();
    if (listState.kind) p.set('kind', listState.kind);
    if (listState.status) p.set('status', listState.status);
    if (listState.all) p.set('all', '1');
    location.hash = `#/?${p}`;
  };
  const select = (name, values) =>
    el(
      'select',
      { name, onchange: (e) => ((listState[name] = e.target.value), go()) },
      el('option', { value: '' }, `any ${name}`),
      values.map((v) => el('option', { value: v, selected: v === listState[name] }, v)),
    );
  const kinds = [...new Set(everything.runs.map((r) => r.kind))].sort();
  const compareBtn = el(
    'button',
    {
      id: 'compare',
      disabled: listState.selected.size < 1,
      onclick: () =>
        (location.hash = `#/compare/${[...listState.selected].map(encodeURIComponent).join(',')}`),
    },
    'compare selected',
  );
  view.append(
    el('h1', {}, 'runs'),
    el(
      'div',
      { class: 'toolbar' },
      select('kind', kinds),
      select('status', ['running', 'finished', 'failed']),
      el(
        'label',
        {},
        el('input', {
          type: 'checkbox',
          name: 'all',
          checked: listState.all,
          onchange: (e) => ((listState.all = e.target.checked), go()),
        }),
        ' nested runs',
      ),
      compareBtn,
      el('span', { class: 'muted' }, `${runs.length} run${runs.length === 1 ? '' : 's'}`),
    ),
  );
  if (!runs.length) return view.append(el('p', { class: 'muted' }, 'no runs match.'));
  const table = el('table', { id: 'runs' });
  const render = () => {
    const col = columns.find((c) => c.key === listState.sort) ?? columns[0];
    const get = col.get ?? ((r) => r[col.key]);
    const sorted = [...runs].sort((a, b) => {
      const x = get(a);
      const y = get(b);
      const cmp =
        x === undefined || x === null
          ? 1
          : y === undefined || y === null
            ? -1
            : typeof x === 'number'
              ? x - y
              : String(x).localeCompare(String(y));
      return listState.desc ? -cmp : cmp;
    });
    const head = el(
      'tr',
      {},
      el('th', {}, ''),
      columns.map((c) =>
        el(
          'th',
          {
            class: `${c.key === listState.sort ? 'sorted' : ''}${c.key === listState.sort && listState.desc ? ' desc' : ''}`,
            'data-key': c.key,
            onclick: () => {
              listState.desc = listState.sort === c.key ? !listState.desc : false;
              listState.sort = c.key;
              render();
            },
          },
          c.label,
        ),
      ),
    );
    const rows = sorted.map((r) =>
      el(
        'tr',
        { 'data-run': r.runId },
        el(
          'td',
          {},
          el('input', {
            type: 'checkbox',
            checked: listState.selected.has(r.runId),
            onchange: (e) => {
              if (e.target.checked) listState.selected.add(r.runId);
              else listState.selected.delete(r.runId);
              compareBtn.disabled = listState.selected.size < 1;
            },
          }),
        ),
        columns.map((c) => {
          const v = (c.get ?? ((x) => x[c.key]))(r);
          if (c.key === 'runId') return el('td', {}, runLink(r.runId));
          if (c.key === 'status') return el('td', {}, status(r.status));
          return el('td', { class: c.num ? 'num' : '' }, c.show ? c.show(v) : (v ?? ''));
        }),
      ),
    );
    table.replaceChildren(el('thead', {}, head), el('tbody', {}, rows));
  };
  render();
  view.append(table);
}

// ---------- one run ----------

function kvTable(obj) {
  return el(
    'table',
    { class: 'kv' },
    Object.entries(obj)
      .filter(([, v]) => typeof v !== 'object' || v === null)
      .map(([k, v]) =>
        el('tr', {}, el('td', {}, k), el('td', { class: typeof v === 'number' ? 'num' : '' }, fmt(v))),
      ),
  );
}

async function runView(id) {
  const [run, metrics, curves] = await Promise.all([
    api(`/api/runs/${encodeURIComponent(id)}`),
    api(`/api/runs/${encodeURIComponent(id)}/metrics`),
    api(`/api/runs/${encodeURIComponent(id)}/curves`),
  ]);
  clear();
  view.append(
    el('h1', {}, run.runId, ' ', status(run.status)),
    el(
      'p',
      { class: 'muted' },
      run.kind,
      run.parent ? [' · part of ', runLink(run.parent)] : '',
      run.dir ? ` · ${run.dir}` : '',
      ` · updated ${run.updatedAt.slice(0, 19).replace('T', ' ')}`,
      ' · ',
      el('a', { href: `#/compare/${encodeURIComponent(run.runId)}` }, 'compare…'),
    ),
  );
  const result = run.result ?? {};
  view.append(
    el(
      'div',
      { class: 'panels' },
      el(
        'div',
        { class: 'panel', id: 'result' },
        el('h2', {}, 'result'),
        Object.keys(result).length ? kvTable(result) : el('p', { class: 'muted' }, 'no result yet'),
      ),
      el(
        'div',
        { class: 'panel', id: 'hparams' },
        el('h2', {}, 'hyperparameters'),
        el('pre', {}, JSON.stringify(run.hparams, null, 2)),
      ),
      run.children.length
        ? el(
            'div',
            { class: 'panel', id: 'children' },
            el('h2', {}, `${run.children.length} nested runs`),
            el(
              'table',
              {},
              run.children.map((c) =>
                el(
                  'tr',
                  {},
                  el('td', {}, runLink(c.runId)),
                  el('td', {}, c.kind),
                  el('td', {}, status(c.status)),
                  el('td', { class: 'num' }, pct(c.testAccuracy)),
                ),
              ),
            ),
          )
        : null,
    ),
  );
  const lottery = curves.charts.filter((c) => c.xLog);
  const others = curves.charts.filter((c) => !c.xLog);
  if (lottery.length)
    view.append(
      el('h2', {}, 'lottery tickets'),
      el(
        'div',
        { class: 'charts', id: 'lottery-charts' },
        lottery.map((c) => drawChart(c, { wide: true })),
      ),
    );
  view.append(
    el('h2', {}, `metrics over ${metrics.xLabel}s`),
    metrics.charts.length
      ? el(
          'div',
          { class: 'charts', id: 'metric-charts' },
          metrics.charts.map((c) => drawChart(c)),
        )
      : el('p', { class: 'muted' }, 'no metrics recorded yet'),
  );
  if (others.length)
    view.append(
      el('h2', {}, `curves from ${curves.files.join(', ')}`),
      el(
        'div',
        { class: 'charts', id: 'curve-charts' },
        others.map((c) => drawChart(c)),
      ),
    );
  // A run in progress redraws as it records.
  if (run.status === 'running')
    refreshTimer = setTimeout(async () => {
      const y = window.scrollY;
      await route();
      window.scrollTo(0, y);
    }, 5000);
}

// ---------- compare ----------

async function compareView(ids, params) {
  const all = await Promise.all(
    ids.map(async (id) => ({
      run: await api(`/api/runs/${encodeURIComponent(id)}`),
      metrics: await api(`/api/runs/${encodeURIComponent(id)}/metrics`),
    })),
  );
  const names = [...new Set(all.flatMap((a) => a.metrics.names))].sort();
  const metric = params.get('metric') ?? (names.includes('testAccuracy') ? 'testAccuracy' : names[0]);
  clear();
  const { runs: candidates } = await api('/api/runs?all=1');
  const addSel = el(
    'select',
    {
      name: 'add',
      onchange: (e) =>
        e.target.value &&
        (location.hash = `#/compare/${[...ids, e.target.value].map(encodeURIComponent).join(',')}?metric=${encodeURIComponent(metric ?? '')}`),
    },
    el('option', { value: '' }, 'add a run…'),
    candidates
      .filter((r) => !ids.includes(r.runId))
      .map((r) => el('option', { value: r.runId }, `${r.runId} (${r.kind})`)),
  );
  view.append(
    el('h1', {}, `compare ${ids.length} run${ids.length === 1 ? '' : 's'}`),
    el(
      'div',
      { class: 'toolbar' },
      el(
        'select',
        {
          name: 'metric',
          onchange: (e) =>
            (location.hash = `#/compare/${ids.map(encodeURIComponent).join(',')}?metric=${encodeURIComponent(e.target.value)}`),
        },
        names.map((n) => el('option', { value: n, selected: n === metric }, n)),
      ),
      addSel,
    ),
  );
  if (!metric) return view.append(el('p', { class: 'muted' }, 'these runs recorded no metrics'));
  const spec = {
    id: `compare:${metric}`,
    title: metric,
    xLabel: all[0].metrics.xLabel,
    yLabel: metric,
    source: 'metrics',
    series: all
      .filter((a) => a.metrics.series[metric])
      .map((a) => ({ label: a.run.runId, ...a.metrics.series[metric] })),
  };
  view.append(el('div', { class: 'charts', id: 'compare-charts' }, drawChart(spec, { wide: true })));
  const last = (a) => a.metrics.series[metric]?.y.at(-1);
  view.append(
    el(
      'table',
      { id: 'compare-table' },
      el(
        'tr',
        {},
        el('th', {}, 'run'),
        el('th', {}, 'kind'),
        el('th', {}, 'model'),
        el('th', {}, `last ${metric}`),
        el('th', {}, ''),
      ),
      all.map((a) =>
        el(
          'tr',
          {},
          el('td', {}, runLink(a.run.runId)),
          el('td', {}, a.run.kind),
          el('td', {}, a.run.hparams?.model?.name ?? ''),
          el('td', { class: 'num' }, fmt(last(a))),
          el(
            'td',
            {},
            el(
              'a',
              {
                href: `#/compare/${ids
                  .filter((i) => i !== a.run.runId)
                  .map(encodeURIComponent)
                  .join(',')}?metric=${encodeURIComponent(metric)}`,
              },
              'remove',
            ),
          ),
        ),
      ),
    ),
  );
}

// ---------- routing ----------

async function route() {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean);
  try {
    if (parts[0] === 'run' && parts[1]) await runView(decodeURIComponent(parts[1]));
    else if (parts[0] === 'compare' && parts[1])
      await compareView(parts[1].split(',').map(decodeURIComponent), params);
    else await runsView(params);
  } catch (e) {
    clear();
    view.append(el('p', { class: 'error' }, e.message), el('a', { href: '#/' }, 'back to the runs'));
  }
  document.body.dataset.ready = '1';
}

window.addEventListener('hashchange', () => {
  document.body.dataset.ready = '';
  route();
});
route();

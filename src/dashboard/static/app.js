/* global document, window, fetch, location, URLSearchParams, setTimeout, clearTimeout */
// The sprig dashboard page: views behind the hash (#/ runs, #/run/ID, #/compare/ID,ID…), each
// drawn from the JSON API. Figures come from src/figures (the same ones `sprig plot` draws).
// Read-only: nothing here changes the store.
import { charts, drawFigure, el, formatValue } from './figures.js';

const view = document.getElementById('view');
let refreshTimer = null;
const REFRESH_MS = 5000;

async function api(path) {
  const res = await fetch(path);
  const body = await res.json();
  if (!res.ok)
    throw new Error(body.error ? `${body.error}${body.fix ? ` (${body.fix})` : ''}` : `${res.status}`);
  return body;
}

const pct = (x) => (typeof x === 'number' ? `${(x * 100).toFixed(2)}%` : '–');
const runLink = (id, label) => el('a', { href: `#/run/${encodeURIComponent(id)}`, title: id }, label ?? id);
const status = (s) => el('span', { class: `status ${s}` }, s);
const setRoot = (root) => root && (document.getElementById('root').textContent = root);

function clear() {
  for (const c of charts.splice(0)) c.destroy();
  if (refreshTimer) clearTimeout(refreshTimer);
  refreshTimer = null;
  view.replaceChildren();
}

/** Redraws the current view after a while, keeping the scroll position. */
function refreshLater(ms = REFRESH_MS) {
  refreshTimer = setTimeout(async () => {
    const y = window.scrollY;
    await route(true);
    window.scrollTo(0, y);
  }, ms);
}

function meanStd(xs) {
  const n = xs.length;
  if (!n) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

// ---------- runs table ----------

const NAME = { key: 'label', label: 'run', get: (r) => r.label };
const FIXED = [
  { key: 'kind', label: 'kind', get: (r) => r.kind },
  { key: 'status', label: 'status', get: (r) => r.status },
];
const RESULT = [
  { key: 'acc', label: 'test acc (%)', num: true, get: (r) => r.result?.testAccuracy, stat: true },
  { key: 'remaining', label: 'remaining (%)', num: true, get: (r) => r.result?.remaining, stat: true },
];
const UPDATED = {
  key: 'updatedAt',
  label: 'updated',
  get: (r) => r.updatedAt,
  show: (v) => (v ?? '').slice(0, 19).replace('T', ' '),
};
const listState = {
  sort: 'updatedAt',
  desc: true,
  kind: '',
  status: '',
  sweep: '',
  filter: '',
  group: '',
  all: false,
  selected: new Set(),
};

/** The name, then the results, then what the run is; a column no listed run fills is left out. */
function columnsOf(defs, runs) {
  const hp = defs.map((d) => ({
    key: `hp:${d.key}`,
    label: d.label,
    get: (r) => r.columns?.[d.key] ?? null,
  }));
  const sweep = [{ key: 'sweep', label: 'sweep', get: (r) => r.sweep }];
  const filled = (c) => runs.some((r) => c.get(r) !== null && c.get(r) !== undefined && c.get(r) !== '');
  return [NAME, ...RESULT.filter(filled), ...FIXED, ...sweep.filter(filled), ...hp.filter(filled), UPDATED];
}

/** "text" matches any cell; "col=value" (or col<value, col>value) tests one column. */
function matches(r, cols, filter) {
  return filter
    .split(/\s+/)
    .filter(Boolean)
    .every((term) => {
      const m = /^([\w.]+)(=|<|>)(.*)$/.exec(term);
      if (!m)
        return cols.some((c) =>
          String(c.get(r) ?? '')
            .toLowerCase()
            .includes(term.toLowerCase()),
        );
      const col = cols.find((c) => c.key === m[1] || c.key === `hp:${m[1]}` || c.label === m[1]);
      if (!col) return false;
      const v = col.get(r);
      if (m[2] === '=') return String(v ?? '') === m[3];
      const a = Number(v);
      const b = Number(m[3]);
      return Number.isFinite(a) && (m[2] === '<' ? a < b : a > b);
    });
}

const cmp = (x, y) =>
  x === undefined || x === null
    ? 1
    : y === undefined || y === null
      ? -1
      : typeof x === 'number' && typeof y === 'number'
        ? x - y
        : String(x).localeCompare(String(y));

/**
 * Groups runs that differ only in their seed (the server's seedGroup), ordered by the chosen column:
 * grouping never pools other hyperparameters (0.9 and 0.95 sparsity stay apart).
 */
function grouped(runs, cols, group) {
  const hp = cols.filter((c) => c.key.startsWith('hp:') && c.key !== 'hp:seed');
  const by = cols.find((c) => c.key === group);
  const keyCols = by ? [by, ...hp.filter((c) => c !== by)] : [...FIXED.slice(0, 1), ...hp];
  const groups = new Map();
  for (const r of runs) {
    const k = `${r.kind}\u0000${r.seedGroup}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  const out = [...groups.values()].map((rs) => ({ runs: rs, keyCols }));
  return by ? out.sort((a, b) => cmp(by.get(a.runs[0]), by.get(b.runs[0]))) : out;
}

/** What a group pooled: its runs' seeds. */
const pooled = (runs) => {
  const seeds = [...new Set(runs.map((r) => r.columns?.seed ?? r.hparams?.training?.seed))];
  return seeds.every((s) => s === undefined || s === null) ? '' : `seeds ${seeds.join(', ')}`;
};

let listSignature = '';

async function runsView(params, refreshing) {
  // A refresh keeps what the user is typing; a navigation takes the state from the address.
  if (!refreshing) {
    for (const k of ['kind', 'status', 'sweep', 'filter', 'group']) listState[k] = params.get(k) ?? '';
    listState.all = params.get('all') === '1';
  }
  const q = new URLSearchParams({ all: listState.all ? '1' : '0' });
  if (listState.kind) q.set('kind', listState.kind);
  if (listState.status) q.set('status', listState.status);
  if (listState.sweep) q.set('sweep', listState.sweep);
  const [everything, listed] = await Promise.all([api('/api/runs?all=1'), api(`/api/runs?${q}`)]);
  setRoot(listed.root);
  // Redraw only when a run appeared, changed status or recorded something.
  const signature = JSON.stringify([listState, everything.runs.map((r) => [r.runId, r.status, r.updatedAt])]);
  if (refreshing && signature === listSignature) return refreshLater();
  listSignature = signature;
  const runs = listed.runs;
  const cols = columnsOf(listed.columns, runs);
  const focus = refreshing && document.activeElement?.name === 'filter';
  clear();
  const go = () => {
    const p = new URLSearchParams();
    for (const k of ['kind', 'status', 'sweep', 'filter', 'group']) if (listState[k]) p.set(k, listState[k]);
    if (listState.all) p.set('all', '1');
    location.hash = `#/?${p}`;
  };
  const select = (name, values, any) =>
    el(
      'select',
      { name, onchange: (e) => ((listState[name] = e.target.value), go()) },
      el('option', { value: '' }, any),
      values.map(([v, label]) => el('option', { value: v, selected: v === listState[name] }, label)),
    );
  const kinds = [...new Set(everything.runs.map((r) => r.kind))].sort();
  const sweeps = [...new Set(everything.runs.flatMap((r) => r.sweeps ?? []))].sort();
  const shown = runs.filter((r) => matches(r, cols, listState.filter));
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
  const filterBox = el('input', {
    type: 'search',
    name: 'filter',
    placeholder: 'filter: text, or method=rigl sparsity>0.8',
    value: listState.filter,
    oninput: (e) => (listState.filter = e.target.value.trim()),
    onchange: (e) => ((listState.filter = e.target.value.trim()), go()),
  });
  view.append(
    el('h1', {}, 'runs'),
    el(
      'div',
      { class: 'toolbar' },
      select(
        'kind',
        kinds.map((k) => [k, k]),
        'any kind',
      ),
      select(
        'status',
        ['running', 'finished', 'interrupted', 'failed', 'corrupt', 'missing'].map((s) => [s, s]),
        'any status',
      ),
      sweeps.length
        ? select(
            'sweep',
            sweeps.map((s) => [s, s]),
            'any sweep',
          )
        : null,
      listState.sweep
        ? el('a', { href: `#/sweep/${encodeURIComponent(listState.sweep)}` }, 'sweep page')
        : null,
      filterBox,
      select(
        'group',
        [
          ['*seed', 'all but seed'],
          ...cols.filter((c) => !c.stat && c.key !== 'updatedAt').map((c) => [c.key, c.label]),
        ],
        'no grouping',
      ),
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
      el(
        'button',
        {
          id: 'figures',
          disabled: !shown.length,
          onclick: () =>
            (location.hash = `#/compare/${shown.map((r) => encodeURIComponent(r.runId)).join(',')}`),
        },
        'figures of shown runs',
      ),
      el('span', { class: 'muted', id: 'count' }, `${shown.length} run${shown.length === 1 ? '' : 's'}`),
    ),
  );
  if (focus) {
    filterBox.focus();
    filterBox.setSelectionRange(filterBox.value.length, filterBox.value.length);
  }
  view.append(...fixNotes(shown));
  if (!shown.length) view.append(el('p', { class: 'muted' }, 'no runs match.'));
  else view.append(listState.group ? groupTable(shown, cols) : runsTable(shown, cols, compareBtn));
  refreshLater(); // the list follows the store: new runs appear, running ones finish
}

function runsTable(runs, cols, compareBtn) {
  const table = el('table', { id: 'runs' });
  const render = () => {
    const col = cols.find((c) => c.key === listState.sort) ?? cols[0];
    const sorted = [...runs].sort((a, b) => (listState.desc ? -1 : 1) * cmp(col.get(a), col.get(b)));
    const head = el(
      'tr',
      {},
      el('th', {}, ''),
      cols.map((c) =>
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
        cols.map((c) => {
          const v = c.get(r);
          if (c.key === 'label') return el('td', {}, runLink(r.runId, r.label));
          if (c.key === 'status') return el('td', {}, status(r.status));
          if (c.stat) return el('td', { class: 'num' }, pct(v));
          return el('td', { class: typeof v === 'number' ? 'num' : '' }, c.show ? c.show(v) : (v ?? ''));
        }),
      ),
    );
    table.replaceChildren(el('thead', {}, head), el('tbody', {}, rows));
  };
  render();
  return table;
}

function groupTable(runs, cols) {
  const groups = grouped(runs, cols, listState.group);
  const stats = cols.filter((c) => c.stat);
  const keyCols = groups[0]?.keyCols ?? [];
  return el(
    'table',
    { id: 'groups' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        keyCols.map((c) => el('th', {}, c.label)),
        el('th', {}, 'runs'),
        el('th', {}, 'pooled'),
        stats.map((c) => el('th', {}, `${c.label} mean ± std`)),
      ),
    ),
    el(
      'tbody',
      {},
      groups.map((g) =>
        el(
          'tr',
          { 'data-group-size': g.runs.length },
          keyCols.map((c) => el('td', {}, String(c.get(g.runs[0]) ?? ''))),
          el(
            'td',
            { class: 'num' },
            el(
              'a',
              { href: `#/compare/${g.runs.map((r) => encodeURIComponent(r.runId)).join(',')}` },
              String(g.runs.length),
            ),
          ),
          el('td', { class: 'pooled' }, pooled(g.runs)),
          stats.map((c) => {
            const s = meanStd(g.runs.map(c.get).filter((v) => typeof v === 'number'));
            return el(
              'td',
              { class: 'num' },
              s
                ? `${(s.mean * 100).toFixed(2)} ± ${(s.std * 100).toFixed(2)}${s.n < g.runs.length ? ` (n=${s.n})` : ''}`
                : '–',
            );
          }),
        ),
      ),
    ),
  );
}

// ---------- one run ----------

/** "2 h 5 min", "3 min 20 s", "40 s". */
function duration(s) {
  const t = Math.round(s);
  if (t >= 3600) return `${Math.floor(t / 3600)} h ${Math.round((t % 3600) / 60)} min`;
  if (t >= 60) return `${Math.floor(t / 60)} min ${t % 60} s`;
  return `${t} s`;
}

/** A running run's step of its planned total, its epoch, its rate and an ETA at that rate. */
function progressEl(p) {
  const epochs = p.epochs >= 1 ? ` · epoch ${p.epoch.toFixed(1)} of ${+p.epochs.toFixed(2)}` : '';
  const rate = p.stepsPerSecond > 0 ? ` · ${formatValue(p.stepsPerSecond, 'number')} steps/s` : '';
  const eta =
    p.etaSeconds === undefined || p.etaSeconds === null
      ? ' · ETA: after its first steps'
      : ` · ETA ${duration(p.etaSeconds)} (about ${new Date(Date.now() + p.etaSeconds * 1000).toLocaleTimeString([], { hour12: false })})`;
  return el(
    'div',
    { class: 'progress', id: 'progress' },
    el('progress', { max: p.totalSteps, value: p.step }),
    el(
      'span',
      {},
      p.own ? '' : ['training ', runLink(p.runId, p.label), ': '],
      `step ${p.step} of ${p.totalSteps} (${(p.fraction * 100).toFixed(1)}%)${epochs}${rate}${eta}`,
    ),
  );
}

function kvTable(obj) {
  return el(
    'table',
    { class: 'kv' },
    Object.entries(obj)
      .filter(([, v]) => typeof v !== 'object' || v === null)
      .map(([k, v]) =>
        el(
          'tr',
          {},
          el('td', {}, k),
          el(
            'td',
            { class: typeof v === 'number' ? 'num' : '' },
            /accuracy|error/i.test(k) && typeof v === 'number' ? pct(v) : formatValue(v, 'number'),
          ),
        ),
      ),
  );
}

/** One line per status that needs action (corrupt, interrupted, missing): its runs and the fix, as `sprig runs` prints. */
function fixNotes(runs) {
  const byStatus = new Map();
  for (const r of runs) if (r.fix) byStatus.set(r.status, [...(byStatus.get(r.status) ?? []), r]);
  return [...byStatus].map(([s, rs]) =>
    el(
      'p',
      { class: 'fix', 'data-status': s },
      status(s),
      ` ${rs.map((r) => r.runId).join(', ')} · fix: ${rs[0].fix}`,
    ),
  );
}

function childRows(children, depth = 0) {
  return children.flatMap((c) => [
    el(
      'tr',
      { 'data-child': c.runId },
      el('td', { style: `padding-left:${0.4 + depth * 1.2}em` }, runLink(c.runId, c.label)),
      el('td', {}, c.kind),
      el('td', {}, status(c.status)),
      el('td', { class: 'num' }, pct(c.testAccuracy)),
    ),
    ...childRows(c.children ?? [], depth + 1),
  ]);
}

async function runView(id) {
  const enc = encodeURIComponent(id);
  const [run, figs] = await Promise.all([api(`/api/runs/${enc}`), api(`/api/runs/${enc}/figures`)]);
  setRoot(run.root);
  clear();
  view.append(
    el('h1', {}, run.label, ' ', status(run.status)),
    run.fix ? el('p', { class: 'fix', 'data-status': run.status }, `fix: ${run.fix}`) : '',
    el(
      'p',
      { class: 'muted' },
      el('code', {}, run.runId),
      ` · ${run.kind}`,
      run.parent ? [' · part of ', runLink(run.parent)] : '',
      run.dir ? ` · ${run.dir}` : '',
      ` · updated ${run.updatedAt.slice(0, 19).replace('T', ' ')}`,
      ' · ',
      el('a', { href: `#/compare/${enc}` }, 'compare…'),
    ),
    run.progress ? progressEl(run.progress) : '',
  );
  const result = run.result ?? {};
  const nested = childRows(run.children);
  view.append(
    el(
      'div',
      { class: 'panels' },
      el(
        'div',
        { class: 'panel', id: 'result' },
        el('h2', {}, 'result'),
        Object.keys(result).length
          ? kvTable(result)
          : el('p', { class: 'muted' }, run.status === 'running' ? 'running…' : 'no result recorded'),
      ),
      el(
        'div',
        { class: 'panel', id: 'hparams' },
        el('h2', {}, 'hyperparameters'),
        el('pre', {}, JSON.stringify(run.hparams, null, 2)),
      ),
    ),
    nested.length
      ? el(
          'div',
          { class: 'panel wide', id: 'children' },
          el('h2', {}, `${nested.length} nested runs`),
          el('table', {}, nested),
        )
      : '',
  );
  const paper = figs.figures.filter((f) => /^(lottery|dst|bootstrap|gradflow):/.test(f.id));
  const curves = figs.figures.filter((f) => !paper.includes(f));
  if (paper.length)
    view.append(
      el('h2', {}, 'figures'),
      el(
        'div',
        { class: 'charts', id: 'paper-charts' },
        paper.map((f) => drawFigure(f, { wide: true })),
      ),
    );
  if (curves.length)
    view.append(
      el('h2', {}, 'training curves'),
      el(
        'div',
        { class: 'charts', id: 'metric-charts' },
        curves.map((f) => drawFigure(f)),
      ),
    );
  if (!figs.figures.length)
    view.append(
      el(
        'p',
        { class: 'muted' },
        run.status === 'running' ? 'no metrics recorded yet' : 'this run stored nothing to plot',
      ),
    );
  if (run.status === 'running') refreshLater();
}

// ---------- compare ----------

async function compareView(ids, params) {
  const metric = params.get('metric') ?? '';
  const q = `ids=${ids.map(encodeURIComponent).join(',')}${metric ? `&metric=${encodeURIComponent(metric)}` : ''}`;
  const res = await api(`/api/figures?${q}`);
  setRoot(res.root);
  const good = res.runs.map((r) => r.runId);
  const metrics = await Promise.all(good.map((id) => api(`/api/runs/${encodeURIComponent(id)}/metrics`)));
  const names = [...new Set(metrics.flatMap((m) => m.names))].sort();
  const { runs: candidates } = await api('/api/runs?all=1');
  clear();
  const hash = (list, m = metric) =>
    `#/compare/${list.map(encodeURIComponent).join(',')}${m ? `?metric=${encodeURIComponent(m)}` : ''}`;
  view.append(
    el('h1', {}, `compare ${good.length} run${good.length === 1 ? '' : 's'}`),
    res.missing.length
      ? el(
          'p',
          { class: 'notice', id: 'missing' },
          `left out ${res.missing.map((m) => `'${m}'`).join(', ')}: no such run in this store`,
        )
      : '',
    el(
      'div',
      { class: 'toolbar' },
      el(
        'select',
        { name: 'metric', onchange: (e) => (location.hash = hash(good, e.target.value)) },
        el('option', { value: '' }, 'one metric over steps…'),
        names.map((n) => el('option', { value: n, selected: n === metric }, n)),
      ),
      el(
        'select',
        { name: 'add', onchange: (e) => e.target.value && (location.hash = hash([...good, e.target.value])) },
        el('option', { value: '' }, 'add a run…'),
        candidates
          .filter((r) => !good.includes(r.runId))
          .map((r) => el('option', { value: r.runId }, `${r.label} (${r.kind})`)),
      ),
    ),
  );
  const chosen = res.figures.filter((f) => f.id.startsWith('compare:'));
  const others = res.figures.filter((f) => !f.id.startsWith('compare:'));
  if (chosen.length)
    view.append(
      el(
        'div',
        { class: 'charts', id: 'compare-charts' },
        chosen.map((f) => drawFigure(f, { wide: true })),
      ),
    );
  view.append(
    el(
      'div',
      { class: 'charts', id: 'figure-charts' },
      others.map((f) => drawFigure(f, { wide: true })),
    ),
    el(
      'table',
      { id: 'compare-table' },
      el(
        'tr',
        {},
        el('th', {}, 'run'),
        el('th', {}, 'kind'),
        el('th', {}, 'model'),
        el('th', {}, 'test acc'),
        el('th', {}, ''),
      ),
      res.runs.map((r) =>
        el(
          'tr',
          {},
          el('td', {}, runLink(r.runId, r.label)),
          el('td', {}, r.kind),
          el('td', {}, r.hparams?.model?.name ?? ''),
          el('td', { class: 'num' }, pct(r.result?.testAccuracy)),
          el('td', {}, el('a', { href: hash(good.filter((i) => i !== r.runId)) }, 'remove')),
        ),
      ),
    ),
  );
}

// ---------- routing ----------

async function route(refreshing = false) {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean);
  try {
    if (parts[0] === 'run' && parts[1]) await runView(decodeURIComponent(parts[1]));
    else if (parts[0] === 'sweep' && parts[1])
      await (
        await import('./sweep.js')
      ).sweepView(decodeURIComponent(parts[1]), { api, clear, refreshLater });
    else if (parts[0] === 'compare' && parts[1])
      await compareView(parts[1].split(',').map(decodeURIComponent), params);
    else await runsView(params, refreshing);
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

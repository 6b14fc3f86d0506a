/* global document */
// The sweep page (#/sweep/ID): live counts by state, the best run, each run's state, worker and
// location, and the sweep's grid as figures, from GET /api/sweeps/ID (the same status as
// `sprig sweep FILE --status`). Redrawn every 2 s while a run is queued or running. Read-only:
// a sweep is cancelled with `sprig sweep FILE --cancel --queue URL`.
import { drawFigure, el, formatValue } from './figures.js';

const STATES = ['queued', 'running', 'stalled', 'finished', 'exists', 'failed', 'cancelled'];
const LIVE_MS = 2000;
const ACTIVE = ['queued', 'running', 'stalled'];

const fmt = (metric, v) =>
  typeof v !== 'number'
    ? '–'
    : /accuracy|error/i.test(metric)
      ? `${formatValue(v * 100, 'percent')}%`
      : formatValue(v);
const runLink = (id) => el('a', { href: `#/run/${encodeURIComponent(id)}` }, id);

/** Draws sweep `id` into `view`; `ctx` is the page's api(), clear(), refreshLater() and setRoot(). */
export async function sweepView(id, ctx) {
  const s = await ctx.api(`/api/sweeps/${encodeURIComponent(id)}`);
  ctx.clear();
  const view = document.getElementById('view');
  const live = s.counts.queued + s.counts.running + s.counts.stalled > 0;
  view.append(
    el(
      'h1',
      {},
      `sweep ${s.name}`,
      ' ',
      el('span', { class: `status ${live ? 'running' : 'finished'}` }, live ? 'live' : 'settled'),
    ),
    el(
      'p',
      { class: 'muted' },
      el('code', {}, s.sweepId),
      ` · ${s.kind} · ${s.runs.length} runs · status saved ${s.updatedAt.slice(0, 19).replace('T', ' ')}`,
    ),
    counts(s),
    best(s),
    el(
      'p',
      { class: 'note' },
      'Cancel from a shell: ',
      el('code', {}, `sprig sweep FILE --cancel --queue URL`),
      ' (this page changes nothing).',
    ),
    runsTable(s),
    el('h2', {}, `${s.metric} across the grid`),
    s.figures.length
      ? el('div', { class: 'charts' }, ...s.figures.map((f) => drawFigure(f)))
      : el('p', { class: 'muted' }, 'no finished run yet'),
  );
  if (live) ctx.refreshLater(LIVE_MS);
}

function counts(s) {
  return el(
    'table',
    { class: 'kv sweep-counts', 'data-sweep-counts': '' },
    el('tr', {}, ...STATES.map((k) => el('th', {}, k))),
    el('tr', {}, ...STATES.map((k) => el('td', { 'data-state': k }, String(s.counts[k] ?? 0)))),
  );
}

function best(s) {
  if (!s.best)
    return el('p', { class: 'muted', 'data-best': '' }, `best by ${s.metric}: no finished run yet`);
  const b = s.best;
  return el(
    'p',
    { 'data-best': b.runId },
    `best by ${s.metric}: `,
    runLink(b.runId),
    ` (${b.label || '–'}) ${fmt(s.metric, b.value)}`,
    b.location ? ` · files at ${b.location}` : '',
  );
}

function runsTable(s) {
  const head = ['run', 'values', 'state', 'worker', 'location', 'progress', 'test accuracy'];
  return el(
    'table',
    { class: 'runs sweep-runs' },
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
    el(
      'tbody',
      {},
      ...s.runs.map((r) =>
        el(
          'tr',
          { 'data-run': r.runId, 'data-state': r.state },
          el('td', {}, runLink(r.runId)),
          el('td', {}, r.label || '–'),
          el('td', {}, el('span', { class: `status ${r.state}` }, r.state)),
          el('td', {}, r.worker ?? '–'),
          el('td', {}, r.location ?? '–'),
          el(
            'td',
            { class: 'muted' },
            (r.state === 'failed' ? r.error : ACTIVE.includes(r.state) ? r.progress : '') ?? '',
          ),
          el('td', {}, fmt('testAccuracy', r.testAccuracy)),
        ),
      ),
    ),
  );
}

/**
 * The dashboard's HTTP server (fastify): JSON endpoints over a read-only `StoreReader`, the page's
 * static files, and Chart.js served from node_modules (no CDN: the dashboard works offline).
 *
 *   GET /api/runs?kind=&status=&all=1&sweep=   runs (top level unless all; of one sweep)
 *   GET /api/runs/:id                   one run: row, directory, files, children, progress while it trains
 *   GET /api/runs/:id/metrics           index metrics as series and charts
 *   GET /api/runs/:id/curves            charts found in the run directory's JSON files
 *   GET /api/runs/:id/figures           the run's figures (src/figures): its paper figure, its curves
 *   GET /api/figures?ids=a,b&kind=dst   figures comparing runs (a kind: all its top-level runs)
 *   GET /api/sweeps, /api/sweeps/:id    sweeps' status pages (sweep-routes.ts)
 *
 * Every request must name this machine in its Host header (a DNS-rebinding page cannot), and a
 * query parameter given twice is a 400, not a guess.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { sweepRoutes } from './sweep-routes.js';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SprigError } from '../util/errors.js';
import { StoreReader } from './reader.js';
import { pageProgress } from './progress.js';
import { chartsFromJson, humanize, metricCharts, metricSeries, metricsXLabel } from '../figures/charts.js';
import { chartFigure, fileCharts, figuresFor, runFigures, spanPlanned } from '../figures/index.js';
import { KINDS } from '../experiments/kinds.js';
import { columnsFor, columnValue, runLabel, tableColumns, uniqueLabels } from '../figures/labels.js';
import { seedlessKey } from '../figures/groups.js';
import type { RunRow } from '../store/index-db.js';
import { FILES } from '../store/artifacts.js';
import { statusFix } from '../store/status.js';

export interface DashboardOptions {
  root: string;
  host?: string;
  port?: number;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** The host name of a Host header (`127.0.0.1:7007` → `127.0.0.1`, `[::1]:80` → `[::1]`). */
export function hostName(header: string | undefined): string {
  if (!header) return '';
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d+$/, '');
}

/**
 * Host names this server answers to: the loopback names, plus the listening address when it is not
 * loopback (the user chose to expose it; a wildcard address accepts any name).
 */
export function allowedHost(listen: string): (name: string) => boolean {
  const l = listen.toLowerCase();
  if (l === '0.0.0.0' || l === '::' || l === '[::]') return () => true;
  return (name) => LOOPBACK_NAMES.has(name) || name === l || name === `[${l}]`;
}

/** A run row as the runs table shows it: readable label, hyperparameter columns of its kind. */
function tableRow(r: RunRow, root: string, sweepNames: Map<string, string> = new Map()) {
  // `sprig sweep` records which sweeps a run belongs to (reader.list); the table filters and groups on them.
  const sweeps = (r as { sweeps?: string[] }).sweeps ?? [];
  const columns = Object.fromEntries(columnsFor(r.kind).map((c) => [c.key, columnValue(r, c)]));
  // A dense baseline's stored sparsity fields are unused defaults: show what it is.
  if (r.kind === 'dst' && columns.method === 'dense')
    Object.assign(columns, { sparsity: 0, distribution: null });
  return {
    ...r,
    label: runLabel(r),
    // what to do about a corrupt, interrupted or missing run: the line `sprig runs` prints
    fix: statusFix(r.status, root) ?? null,
    columns,
    sweeps,
    // Runs a group may pool: equal in everything but the seed.
    seedGroup: seedlessKey(r.hparams),
    // shown by name (the sweep file's); `sweeps` keeps the ids the API's ?sweep= filter takes
    sweep: sweeps.map((id) => sweepNames.get(id) ?? id).join(',') || null,
  };
}

/** The page's files: next to this module in the source tree; from dist/, back in src/. */
export function staticDir(): string {
  const here = import.meta.dirname;
  for (const d of [join(here, 'static'), resolve(here, '..', '..', 'src', 'dashboard', 'static')])
    if (existsSync(join(d, 'index.html'))) return d;
  throw new Error(`the dashboard's static files are missing (looked in ${join(here, 'static')})`);
}

/** Chart.js's browser build (UMD), from the installed package. */
function chartJsDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('chart.js')); // …/chart.js/dist
}

export function createDashboard(reader: StoreReader, opts: { host?: string } = {}): FastifyInstance {
  const app = Fastify({ logger: false });
  guardRequests(app, allowedHost(opts.host ?? '127.0.0.1'));
  app.register(fastifyStatic, { root: staticDir(), prefix: '/' });
  app.register(fastifyStatic, {
    root: chartJsDir(),
    prefix: '/vendor/chart.js/',
    decorateReply: false,
    allowedPath: (p) => p.endsWith('.js'),
  });
  runRoutes(app, reader);
  figureRoutes(app, reader);
  sweepRoutes(app, reader);
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no such page: ${req.url}` }));
  return app;
}

/** A request must name this machine, and give each query parameter once. */
function guardRequests(app: FastifyInstance, allowed: (name: string) => boolean): void {
  app.addHook('onRequest', async (req, reply) => {
    const name = hostName(req.headers.host);
    if (!allowed(name))
      return reply.code(403).send({
        error: `refused a request for host '${name}': this dashboard answers only to this machine's names`,
        fix: 'open it as http://127.0.0.1:PORT/ (or start it with --host NAME to expose it under that name)',
      });
  });
  app.addHook('preHandler', async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const twice = Object.keys(q).filter((k) => Array.isArray(q[k]));
    if (twice.length)
      return reply.code(400).send({
        error: `query parameter ${twice.map((k) => `'${k}'`).join(', ')} given more than once`,
        fix: 'give each parameter once (to see several kinds, leave kind out and filter in the table)',
      });
  });
}

const notFound = (reader: StoreReader, id: string) => ({
  error: `no run '${id}' in ${reader.root}`,
  fix: 'GET /api/runs lists the stored runs',
});

/** The runs table, one run's page, its metrics and the charts in its files. */
function runRoutes(app: FastifyInstance, reader: StoreReader): void {
  app.get('/api/runs', async (req) => {
    const q = req.query as { kind?: string; status?: string; all?: string; sweep?: string };
    const runs = reader.list({
      kind: q.kind || undefined,
      status: q.status || undefined,
      all: q.all === '1' || q.all === 'true',
      sweep: q.sweep || undefined,
    });
    const names = reader.sweepNames();
    return {
      root: reader.root,
      runs: runs.map((r) => tableRow(r, reader.root, names)),
      columns: columnDefs(runs),
    };
  });
  app.get('/api/runs/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    const run = reader.get(id);
    if (!run) return reply.code(404).send(notFound(reader, id));
    return {
      ...tableRow(run, reader.root),
      root: reader.root,
      dir: reader.dir(run) ?? null,
      files: reader.files(run),
      children: runChildren(reader, run),
      progress: pageProgress(reader, run) ?? null,
    };
  });
  app.get('/api/runs/:id/metrics', async (req, reply) => {
    const { id } = req.params as { id: string };
    const run = reader.get(id);
    if (!run) return reply.code(404).send(notFound(reader, id));
    return runMetrics(reader, run);
  });
  app.get('/api/runs/:id/curves', async (req, reply) => {
    const { id } = req.params as { id: string };
    const run = reader.get(id);
    if (!run) return reply.code(404).send(notFound(reader, id));
    // result.json repeats the index's metrics (its history); the other files are the kind's own curves.
    const files = reader.files(run).filter((f) => f.name !== FILES.result);
    const charts = files.flatMap((f) => chartsFromJson(reader.readJson(run, f.name), f.name));
    return { runId: run.runId, files: files.map((f) => f.name), charts };
  });
}

/** A run's children with their own (a lottery level's branches are listed with it). */
function runChildren(reader: StoreReader, run: RunRow) {
  const brief = (c: RunRow) => ({
    runId: c.runId,
    kind: c.kind,
    status: c.status,
    label: runLabel(c),
    testAccuracy: c.result?.testAccuracy ?? null,
  });
  return reader.children(run.runId).map((c) => ({
    ...brief(c),
    children: reader.children(c.runId).map(brief),
  }));
}

/** A run's index metrics, as series by name and as charts. */
function runMetrics(reader: StoreReader, run: RunRow) {
  const rows = reader.metrics(run.runId);
  const series: Record<string, { x: number[]; y: number[] }> = {};
  for (const r of rows) {
    if (r.value === null || !Number.isFinite(r.value)) continue;
    const s = (series[r.name] ??= { x: [], y: [] });
    s.x.push(r.step);
    s.y.push(r.value);
  }
  const xLabel = metricsXLabel(run.kind);
  return {
    runId: run.runId,
    xLabel,
    names: Object.keys(series).sort(),
    series,
    charts: metricCharts(rows, xLabel),
  };
}

/** Figures comparing runs, and one run's figures (src/figures). */
function figureRoutes(app: FastifyInstance, reader: StoreReader): void {
  app.get('/api/figures', async (req, reply) => {
    const q = req.query as { ids?: string; kind?: string; metric?: string };
    const { rows, missing } = namedRuns(reader, (q.ids ?? '').split(',').filter(Boolean), q.kind);
    if (!rows.length && !missing.length)
      return reply.code(400).send({ error: 'no runs named', fix: 'pass ids=ID,ID… or kind=KIND' });
    const labels = uniqueLabels(rows);
    // One metric of every run over steps, when asked for (the compare view's chooser).
    const metric = q.metric ? [compareFigure(reader, rows, q.metric, labels)] : [];
    return {
      root: reader.root,
      runs: rows.map((r) => ({ ...tableRow(r, reader.root), label: labels.get(r.runId) })),
      missing,
      figures: rows.length ? [...metric, ...figuresFor(reader, rows, KINDS)] : [],
    };
  });
  app.get('/api/runs/:id/figures', async (req, reply) => {
    const { id } = req.params as { id: string };
    const run = reader.get(id);
    if (!run) return reply.code(404).send(notFound(reader, id));
    const xLabel = metricsXLabel(run.kind);
    // Curve files the paper figures do not cover (per-layer norms, level curves) stay as generic charts.
    const figures = [
      ...runFigures(reader, run, metricCharts(reader.metrics(run.runId), xLabel), KINDS),
      ...fileCharts(reader, run, KINDS),
    ];
    // A running run's step axes span the whole planned run.
    const planned = pageProgress(reader, run);
    return {
      runId: run.runId,
      label: runLabel(run),
      figures: planned?.own ? figures.map((f) => spanPlanned(f, planned.totalSteps)) : figures,
    };
  });
}

/** The runs named by id, then every top-level run of `kind`; the ids not found. */
function namedRuns(reader: StoreReader, ids: string[], kind?: string) {
  const rows: RunRow[] = [];
  const missing: string[] = [];
  for (const id of ids) {
    const r = reader.get(id);
    if (r) rows.push(r);
    else missing.push(id);
  }
  if (kind) rows.push(...reader.list({ kind }).filter((r) => !rows.some((x) => x.runId === r.runId)));
  return { rows, missing };
}

function compareFigure(reader: StoreReader, rows: RunRow[], metric: string, labels: Map<string, string>) {
  return chartFigure({
    id: `compare:${metric}`,
    title: `${humanize(metric)} over training`,
    xLabel: 'step',
    yLabel: humanize(metric),
    series: rows.map((r) => metricSeries(reader.metrics(r.runId), metric, labels.get(r.runId))),
    source: 'metrics',
  });
}

/** The hyperparameter columns of the listed runs' kind (several kinds: the columns they share). */
function columnDefs(runs: RunRow[]) {
  return tableColumns(runs.map((r) => r.kind)).map((c) => ({ key: c.key, label: c.label }));
}

export interface RunningDashboard {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Opens the store read-only and listens; a taken port or a missing index is a SprigError. */
export async function serveDashboard(opts: DashboardOptions): Promise<RunningDashboard> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 7007;
  const reader = new StoreReader(opts.root);
  const app = createDashboard(reader, { host });
  try {
    await app.listen({ host, port });
  } catch (e) {
    reader.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new SprigError(
        `port ${port} on ${host} is already in use`,
        'pass --port N with another port, or --port 0 to pick a free one',
      );
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new SprigError(`cannot listen on ${host}: no such local address`, 'use --host 127.0.0.1');
    if (code === 'EACCES')
      throw new SprigError(
        `not allowed to listen on port ${port}`,
        'use a port above 1023, e.g. --port 7007',
      );
    throw e;
  }
  const addr = app.server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${actual}/`,
    app,
    async close() {
      await app.close();
      reader.close();
    },
  };
}

/**
 * The dashboard's HTTP server (fastify): JSON endpoints over a read-only `StoreReader`, the page's
 * static files, and Chart.js served from node_modules (no CDN: the dashboard works offline).
 *
 *   GET /api/runs?kind=&status=&all=1&sweep=   runs (top level unless all; of one sweep)
 *   GET /api/runs/:id                   one run: row, directory, files, children
 *   GET /api/runs/:id/metrics           index metrics as series and charts
 *   GET /api/runs/:id/curves            charts found in the run directory's JSON files
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SprigError } from '../util/errors.js';
import { StoreReader } from './reader.js';
import { chartsFromJson, metricCharts, type ChartSpec } from './charts.js';

export interface DashboardOptions {
  root: string;
  host?: string;
  port?: number;
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

/** Lottery runs step by level; everything else by training iteration. */
const xLabelOf = (kind: string) => (kind === 'lottery' || kind === 'lottery_oneshot' ? 'level' : 'step');

export function createDashboard(reader: StoreReader): FastifyInstance {
  const app = Fastify({ logger: false });
  app.register(fastifyStatic, { root: staticDir(), prefix: '/' });
  app.register(fastifyStatic, {
    root: chartJsDir(),
    prefix: '/vendor/chart.js/',
    decorateReply: false,
    allowedPath: (p) => p.endsWith('.js'),
  });

  const notFound = (id: string) => ({
    error: `no run '${id}' in ${reader.root}`,
    fix: 'GET /api/runs lists the stored runs',
  });

  app.get('/api/runs', async (req) => {
    const q = req.query as { kind?: string; status?: string; all?: string; sweep?: string };
    const runs = reader.list({
      kind: q.kind || undefined,
      status: q.status || undefined,
      all: q.all === '1' || q.all === 'true',
      sweep: q.sweep || undefined,
    });
    return { root: reader.root, runs };
  });

  app.get('/api/runs/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    const run = reader.get(id);
    if (!run) return reply.code(404).send(notFound(id));
    const kids = reader.children(run.runId);
    const children = kids.map((c) => ({
      runId: c.runId,
      kind: c.kind,
      status: c.status,
      testAccuracy: c.result?.testAccuracy ?? null,
    }));
    return { ...run, dir: reader.dir(run) ?? null, files: reader.files(run), children };
  });

  app.get('/api/runs/:id/metrics', async (req, reply) => {
    const { id } = req.params as { id: string };
    const run = reader.get(id);
    if (!run) return reply.code(404).send(notFound(id));
    const rows = reader.metrics(run.runId);
    const series: Record<string, { x: number[]; y: number[] }> = {};
    for (const r of rows) {
      if (r.value === null || !Number.isFinite(r.value)) continue;
      const s = (series[r.name] ??= { x: [], y: [] });
      s.x.push(r.step);
      s.y.push(r.value);
    }
    const xLabel = xLabelOf(run.kind);
    return {
      runId: run.runId,
      xLabel,
      names: Object.keys(series).sort(),
      series,
      charts: metricCharts(rows, xLabel),
    };
  });

  app.get('/api/runs/:id/curves', async (req, reply) => {
    const { id } = req.params as { id: string };
    const run = reader.get(id);
    if (!run) return reply.code(404).send(notFound(id));
    // result.json repeats the index's metrics (its history); the other files are the kind's own curves.
    const files = reader.files(run).filter((f) => f.name !== 'result.json');
    const charts: ChartSpec[] = files.flatMap((f) => chartsFromJson(reader.readJson(run, f.name), f.name));
    return { runId: run.runId, files: files.map((f) => f.name), charts };
  });

  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no such page: ${req.url}` }));
  return app;
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
  const app = createDashboard(reader);
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

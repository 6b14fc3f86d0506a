import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { defaultRoot } from '../store/store.js';
import { StoreReader, unique } from '../dashboard/reader.js';
import {
  humanize,
  metricCharts,
  metricSeries,
  metricsXLabel,
  namedMetricsFigure,
} from '../figures/charts.js';
import { fileCharts, figuresFor, runFigures, spanPlanned, type Figure } from '../figures/index.js';
import { pageProgress } from '../dashboard/progress.js';
import { findSweepStatus } from '../dashboard/sweep-routes.js';
import { sweepFigures } from '../figures/sweep.js';
import { KINDS } from '../experiments/kinds.js';
import { uniqueLabels } from '../figures/labels.js';
import { figureSvg } from '../figures/svg.js';
import { svgToPng } from '../figures/png.js';
import type { RunRow } from '../store/index-db.js';
import { SprigError } from '../util/errors.js';
import { emit } from './output.js';

interface PlotOptions {
  root: string;
  kind?: string;
  sweep?: string;
  figure?: string;
  metric?: string;
  out?: string;
  outDir?: string;
  format: 'svg' | 'png';
  width: number;
  height: number;
  json?: boolean;
}

const int = (v: string) => {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 100)
    throw new SprigError(`'${v}' is not a size in pixels`, 'pass a whole number of at least 100');
  return x;
};

const FORMATS = ['.svg', '.png'];

export function register(program: Command): void {
  program
    .command('plot')
    .description(
      "draw runs' figures as SVG or PNG: each experiment's paper figure (lottery, dst, bootstrap, gradflow), the same ones the dashboard shows",
    )
    .argument('[runs...]', 'run ids (a unique prefix is enough); several runs are drawn together')
    .option('--root <dir>', 'run store directory (or SPRIG_ROOT)', defaultRoot())
    .option('--kind <kind>', 'also draw every top-level run of this kind (e.g. dst: the grouped comparison)')
    .option('--sweep <name>', "a sweep's grid: its metric against each swept axis (as on its dashboard page)")
    .option('--figure <id>', 'only figures whose id contains this (e.g. accuracy-vs-sparsity)')
    .option('--metric <names>', "one run's metric(s) over steps on one chart, comma-separated")
    .option('--out <file>', "output file for the first figure, .svg or .png ('-': SVG on stdout)")
    .option('--out-dir <dir>', 'write every figure into this directory, one file each')
    .option('--format <fmt>', 'file format with --out-dir: svg or png', 'svg')
    .option('--width <px>', 'figure width', int, 760)
    .option('--height <px>', 'figure height', int, 440)
    .option('--json', 'print {out, figures: [{id, title, out, series}]} as JSON')
    .action(plot);
}

interface Written {
  id: string;
  title: string;
  out: string;
  series: { label: string; points: number }[];
}

function plot(runs: string[], o: PlotOptions): void {
  checkOptions(runs, o);
  const reader = new StoreReader(o.root);
  try {
    const rows = o.sweep ? [] : selectRuns(reader, runs, o.kind);
    const figs = chooseFigures(
      o.sweep
        ? sweepGrid(reader, o.sweep)
        : o.metric
          ? [metricFigure(reader, rows, o.metric)]
          : plotFigures(reader, rows),
      o.figure,
    );
    if (!figs.length)
      throw new SprigError(
        `${o.sweep ? `sweep ${o.sweep}` : rows.map((r) => r.runId).join(', ')} has nothing to plot yet (no metrics, no curves)`,
        'wait until it logs its first evaluation',
      );
    const written = writeFigures(figs, rows, o);
    if (o.out === '-') return;
    emit(
      o.json,
      { out: written[0]!.out, title: written[0]!.title, series: written[0]!.series, figures: written },
      () => summary(written, figs, o),
    );
  } finally {
    reader.close();
  }
}

function checkOptions(runs: string[], o: PlotOptions): void {
  if (o.out && o.out !== '-' && !FORMATS.includes(extname(o.out).toLowerCase()))
    throw new SprigError(
      `sprig plot writes SVG or PNG, not ${extname(o.out) || 'a file without an extension'}`,
      'name the output FILE.svg or FILE.png',
    );
  if (o.format !== 'svg' && o.format !== 'png')
    throw new SprigError(
      `--format ${o.format} is not a format sprig plot writes`,
      'use --format svg or --format png',
    );
  if (!runs.length && !o.kind && !o.sweep)
    throw new SprigError(
      'no runs to plot',
      'name run ids, or pass --kind KIND (`sprig runs` lists them) or --sweep NAME',
    );
}

/** A sweep's grid figures, from the status its submitter last saved in the index. */
function sweepGrid(reader: StoreReader, name: string): Figure[] {
  const s = findSweepStatus(reader, name);
  if (!s)
    throw new SprigError(
      `no sweep '${name}' with a saved status in ${reader.root}`,
      'run `sprig sweep FILE` (or `sprig sweep FILE --status`) with this --root first; the dashboard lists the sweeps',
    );
  return sweepFigures(s);
}

/** The figures whose id is or contains `want` (all without it). */
function chooseFigures(all: Figure[], want: string | undefined): Figure[] {
  if (!want) return all;
  const figs = all.filter((f) => f.id === want || f.id.includes(want));
  if (!figs.length)
    throw new SprigError(`no figure matches '${want}'`, `use one of: ${all.map((f) => f.id).join(', ')}`);
  return figs;
}

/** Every figure into --out-dir, or the first to --out (a default name without it). */
function writeFigures(figs: Figure[], rows: RunRow[], o: PlotOptions): Written[] {
  const size = { width: o.width, height: o.height };
  const written: Written[] = [];
  const write = (fig: Figure, path: string) => {
    const svg = figureSvg(fig, size);
    if (path === '-') process.stdout.write(svg);
    else writeFileSync(path, extname(path).toLowerCase() === '.png' ? svgToPng(svg) : svg);
    written.push({
      id: fig.id,
      title: fig.title,
      out: path === '-' ? '-' : resolve(path),
      series: seriesOf(fig),
    });
  };
  if (o.outDir) {
    mkdirSync(o.outDir, { recursive: true });
    for (const f of figs) write(f, join(o.outDir, `${slug(f.id)}.${o.format}`));
  } else write(figs[0]!, o.out ?? `${rows.length === 1 ? rows[0]!.runId : slug(figs[0]!.id)}.svg`);
  return written;
}

function summary(written: Written[], figs: Figure[], o: PlotOptions): string {
  const lines = written.map(
    (w) => `wrote ${w.out}: ${w.title} (${w.series.map((s) => `${s.label}, ${s.points} points`).join('; ')})`,
  );
  const more =
    !o.outDir && figs.length > 1
      ? `\n${figs.length - 1} more figure(s): ${figs
          .slice(1)
          .map((f) => f.id)
          .join(', ')} (--out-dir DIR writes them all, --figure ID picks one)`
      : '';
  return lines.join('\n') + more;
}

/** Figures for the runs: one run gets its page's figures, several are compared. */
function plotFigures(reader: StoreReader, rows: RunRow[]): Figure[] {
  if (rows.length > 1) return figuresFor(reader, rows, KINDS);
  const row = rows[0]!;
  // The run page's figures: its experiment's, its curves, and the charts in its files.
  const figs = [
    ...runFigures(reader, row, metricCharts(reader.metrics(row.runId), metricsXLabel(row.kind)), KINDS),
    ...fileCharts(reader, row, KINDS),
  ];
  // A running run's step axes span the whole planned run, as on its dashboard page.
  const planned = pageProgress(reader, row);
  return planned?.own ? figs.map((f) => spanPlanned(f, planned.totalSteps)) : figs;
}

function metricFigure(reader: StoreReader, rows: RunRow[], metric: string): Figure {
  const names = metric
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const labels = uniqueLabels(rows);
  const metricOf = rows.flatMap(() => names);
  const series = rows.flatMap((row) => {
    const m = reader.metrics(row.runId);
    const known = [...new Set(m.map((r) => r.name))];
    const missing = names.filter((n) => !known.includes(n));
    if (missing.length)
      throw new SprigError(
        `run ${row.runId} has no metric ${missing.map((x) => `'${x}'`).join(', ')}`,
        known.length ? `use one of: ${known.join(', ')}` : 'this run recorded no metrics yet',
      );
    return names.map((n) => metricSeries(m, n, rows.length > 1 ? `${labels.get(row.runId)} ${n}` : n));
  });
  const xLabel = metricsXLabel(rows[0]!.kind);
  const title = names.map(humanize).join(', ');
  return namedMetricsFigure(
    {
      id: `metric:${names.join(',')}`,
      title: rows.length === 1 ? `${labels.get(rows[0]!.runId)}: ${title}` : title,
      xLabel,
      yLabel: names.length === 1 ? humanize(names[0]!) : title,
      series,
      source: 'metrics',
    },
    metricOf,
  );
}

const slug = (id: string) => id.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');

function seriesOf(f: Figure): { label: string; points: number }[] {
  if (f.type === 'line') return f.series.map((s) => ({ label: s.label, points: s.x.length }));
  if (f.type === 'bar') return f.series.map((s) => ({ label: s.label, points: s.values.length }));
  if (f.type === 'heatmap') return f.rows.map((r, i) => ({ label: r, points: f.values[i]?.length ?? 0 }));
  return f.rows.map((r) => ({ label: r.label, points: r.values.length }));
}

function selectRuns(reader: StoreReader, runs: string[], kind?: string): RunRow[] {
  const rows = runs.map((r) => resolveRun(reader, r));
  if (kind) {
    const more = reader.list({ kind });
    if (!more.length)
      throw new SprigError(
        `no top-level runs of kind '${kind}' in ${reader.root}`,
        '`sprig runs` lists the stored runs',
      );
    rows.push(...more);
  }
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.runId) && seen.add(r.runId));
}

function resolveRun(reader: StoreReader, run: string) {
  const exact = reader.get(run);
  if (exact && exact.runId === run) return exact;
  const found = reader.findByPrefix(run);
  const one = unique(found);
  if (one) return one;
  const names =
    found
      .slice(0, 8)
      .map((f) => f.runId)
      .join(', ') + (found.length > 8 ? ', …' : '');
  throw new SprigError(
    found.length ? `'${run}' matches ${found.length} runs: ${names}` : `no run '${run}' in ${reader.root}`,
    found.length ? 'give more of the run id' : '`sprig runs` lists the stored runs',
  );
}

import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { defaultRoot } from '../store/store.js';
import { StoreReader, unique } from '../dashboard/reader.js';
import {
  chartsFromJson,
  humanize,
  isLotteryCurve,
  lotteryChart,
  metricCharts,
  metricSeries,
  type ChartSpec,
} from '../dashboard/charts.js';
import { chartSvg } from '../dashboard/svg.js';
import { SprigError } from '../util/errors.js';
import { emit } from './output.js';

interface PlotOptions {
  root: string;
  metric?: string;
  out?: string;
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

export function register(program: Command): void {
  program
    .command('plot')
    .description(
      "write a run's metrics over steps as an SVG chart (a lottery run: accuracy vs remaining weights)",
    )
    .argument('<run>', 'run id (a unique prefix is enough)')
    .option('--root <dir>', 'run store directory (or SPRIG_ROOT)', defaultRoot())
    .option('--metric <names>', 'metric(s) to plot on one chart, comma-separated (default: test accuracy)')
    .option('--out <file>', "output file, .svg ('-' for stdout; default <run>.svg)")
    .option('--width <px>', 'chart width', int, 720)
    .option('--height <px>', 'chart height', int, 400)
    .option('--json', 'print {runId, out, series} as JSON')
    .action((run: string, o: PlotOptions) => {
      if (o.out && o.out !== '-' && extname(o.out).toLowerCase() !== '.svg')
        throw new SprigError(
          `sprig plot writes SVG, not ${extname(o.out) || 'a file without an extension'}`,
          'name the output FILE.svg (convert it with e.g. `rsvg-convert -o chart.png chart.svg` if you need a PNG)',
        );
      const reader = new StoreReader(o.root);
      try {
        const row = resolveRun(reader, run);
        const rows = reader.metrics(row.runId);
        const xLabel = row.kind.startsWith('lottery') ? 'level' : 'step';
        let chart: ChartSpec;
        if (o.metric) {
          const names = o.metric
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
          const known = [...new Set(rows.map((r) => r.name))];
          const missing = names.filter((n) => !known.includes(n));
          if (missing.length)
            throw new SprigError(
              `run ${row.runId} has no metric ${missing.map((m) => `'${m}'`).join(', ')}`,
              known.length ? `use one of: ${known.join(', ')}` : 'this run recorded no metrics yet',
            );
          const title = names.length === 1 ? humanize(names[0]!) : names.map(humanize).join(', ');
          chart = {
            id: 'plot',
            title: `${row.runId}: ${title}`,
            xLabel,
            yLabel: names.length === 1 ? humanize(names[0]!) : 'value',
            series: names.map((n) => metricSeries(rows, n)),
            source: 'metrics',
          };
        } else {
          const curve = reader.files(row).some((f) => f.name === 'curve.json')
            ? reader.readJson(row, 'curve.json')
            : undefined;
          const fromFiles = reader
            .files(row)
            .filter((f) => f.name !== 'result.json')
            .flatMap((f) => chartsFromJson(reader.readJson(row, f.name), f.name));
          const first = isLotteryCurve(curve)
            ? lotteryChart(curve)
            : (metricCharts(rows, xLabel)[0] ?? fromFiles[0]);
          if (!first)
            throw new SprigError(
              `run ${row.runId} has nothing to plot yet (no metrics, no curves)`,
              'wait until it logs its first evaluation',
            );
          chart = { ...first, title: `${row.runId}: ${first.title}` };
        }
        const svg = chartSvg(chart, { width: o.width, height: o.height });
        const out = o.out ?? `${row.runId}.svg`;
        if (out === '-') process.stdout.write(svg);
        else writeFileSync(out, svg);
        if (out !== '-')
          emit(
            o.json,
            {
              runId: row.runId,
              out: resolve(out),
              title: chart.title,
              series: chart.series.map((s) => ({ label: s.label, points: s.x.length })),
            },
            () =>
              `wrote ${out}: ${chart.title} (${chart.series.map((s) => `${s.label}, ${s.x.length} points`).join('; ')})`,
          );
      } finally {
        reader.close();
      }
    });
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

/**
 * `sprig bench --sparse`'s tables: aligned columns for the terminal, or a markdown table that the
 * README takes unchanged. Both show every row with its ratios and each figure's peak RSS.
 */
import type { SparseBenchResult, SparseBenchRow } from './sparse.js';

const HEAD = [
  'net',
  'mode',
  'batch',
  'density',
  'masks',
  'sprig sparse',
  'sprig dense',
  'PyTorch',
  'PyTorch CSR',
  '×dense',
  '×PyTorch',
  '×PyTorch CSR',
  'peak RSS MB (sparse/dense/PyTorch/CSR)',
  'sparse layers',
];
const NUMERIC = new Set([2, 3, 5, 6, 7, 8, 9, 10, 11]);

const f0 = (x: number | undefined) => (x === undefined ? '' : x.toFixed(0));
const f2 = (x: number | undefined) => (x === undefined ? '' : x.toFixed(2));

/** The layers on the sparse kernels: their names when few, else how many of the prunable ones. */
function layers(x: SparseBenchRow): string {
  if (!x.sparseLayers.length) return '-';
  if (x.sparseLayers.length <= 3) return x.sparseLayers.join(', ');
  return `${x.sparseLayers.length} of ${x.prunableLayers}`;
}

function cells(x: SparseBenchRow): string[] {
  const rss = [x.rssMB.sprigSparse, x.rssMB.sprigDense, x.rssMB.pytorch, x.rssMB.pytorchCsr];
  return [
    x.net,
    x.mode,
    String(x.batch),
    String(x.density),
    x.density < 1 ? x.distribution : '-',
    f0(x.sprigSparse),
    f0(x.sprigDense),
    f0(x.pytorch),
    f0(x.pytorchCsr),
    f2(x.ratios.sparseOverDense),
    f2(x.ratios.sparseOverPytorch),
    f2(x.ratios.sparseOverPytorchCsr),
    rss
      .filter((v) => v !== undefined)
      .map(f0)
      .join('/'),
    layers(x),
  ];
}

/** The networks of `r` whose masks follow `d`, e.g. "lenet300" or "conv4, vgg16". */
const netsWith = (r: SparseBenchResult, d: string) =>
  [...new Set(r.results.filter((x) => x.distribution === d).map((x) => x.net))].join(', ');

/** The lines under the table: what the figures are and how they were taken. */
function notes(r: SparseBenchResult): string[] {
  const steps = [...new Set(r.results.map((x) => `${x.net} ${x.mode}@${x.batch} ${x.warmup}+${x.steps}`))];
  const masks = [
    netsWith(r, 'uniform') && `uniform on every layer (${netsWith(r, 'uniform')})`,
    netsWith(r, 'erk') && `ERK at the overall density (${netsWith(r, 'erk')})`,
  ].filter(Boolean);
  return [
    `Examples/s, medians of ${r.reps} interleaved repetitions, one process per measurement; ×dense = sprig sparse / sprig dense, ` +
      `×PyTorch = sprig sparse / PyTorch (masked-dense in training, dense in inference), ×PyTorch CSR = sprig sparse / PyTorch with CSR linear layers; ` +
      `peak RSS per figure (max over repetitions); sparse layers: those the sparse engine ran.`,
    `sprig's masks: ${masks.join('; ')}. PyTorch's are uniform at the density (its --density): its masked-dense and dense costs do not depend on where the zeros are (its CSR linear layers' cost does, a little).`,
    `Warm-up + timed steps per measurement (mode@batch): ${steps.join(', ')}.`,
    `Machine load ${r.load.min.toFixed(1)}–${r.load.max.toFixed(1)}; PyTorch on ${r.peer.threads} thread(s), BLAS ${r.peer.blas}; the run took ${(r.durationS / 60).toFixed(1)} min.`,
  ];
}

/** Aligned columns (numbers right-aligned) for the terminal. */
export function formatSparseBench(r: SparseBenchResult): string {
  const rows = r.results.map(cells);
  const w = HEAD.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (c: string[]) =>
    c.map((s, i) => (NUMERIC.has(i) ? s.padStart(w[i]!) : s.padEnd(w[i]!))).join('  ');
  return [line(HEAD), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line), '', ...notes(r)].join('\n');
}

/** A markdown table (GitHub's pipe syntax, numbers right-aligned) and its notes, for the README. */
export function formatSparseMarkdown(r: SparseBenchResult): string {
  const rows = r.results.map(cells);
  const w = HEAD.map((h, i) => Math.max(h.length, 3, ...rows.map((row) => row[i]!.length)));
  const pad = (s: string, i: number) => (NUMERIC.has(i) ? s.padStart(w[i]!) : s.padEnd(w[i]!));
  const line = (c: string[]) => `| ${c.map(pad).join(' | ')} |`;
  const rule = `|${w.map((n, i) => (NUMERIC.has(i) ? ` ${'-'.repeat(n - 1)}: ` : ` ${'-'.repeat(n)} `)).join('|')}|`;
  return [line(HEAD), rule, ...rows.map(line), '', notes(r).join('\n\n')].join('\n');
}

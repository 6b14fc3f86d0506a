/**
 * `sprig bench` (training speed and memory against PyTorch) and `sprig bench --sparse` (the sparse
 * engine against sprig dense and PyTorch, per density): the command-line wiring. The measurements
 * live in src/bench/.
 */
import '../util/v8-tuning.js';
import type { Command } from 'commander';
import { int } from './flags.js';
import { BENCH_NETS, isBenchNet, type BenchNet } from '../bench/nets.js';
import { SPARSE_NETS } from '../bench/sparse-plan.js';

interface BenchFlags {
  nets?: string;
  reps: number;
  steps?: number;
  warmup?: number;
  batch?: number;
  epoch: boolean;
  dataDir: string;
  out?: string;
  python: string;
  torchScript?: string;
  sparse?: boolean;
  densities?: string;
  infer: boolean;
  torchThreads?: number;
  json?: boolean;
  markdown?: boolean;
}

function parseNets(list: string | undefined): BenchNet[] | undefined {
  const nets = list
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of nets ?? [])
    if (!isBenchNet(n))
      throw new Error(`unknown benchmark network '${n}' (valid: ${Object.keys(BENCH_NETS).join(', ')})`);
  return nets as BenchNet[] | undefined;
}

function parseDensities(list: string | undefined): number[] | undefined {
  const densities = list?.split(',').map(Number);
  if (densities?.some((d) => !(d > 0 && d <= 1)))
    throw new Error(`--densities must be numbers in (0, 1], got '${list}'`);
  return densities;
}

async function sparseBench(o: BenchFlags): Promise<void> {
  const { runSparseBench } = await import('../bench/sparse.js');
  const { formatSparseBench, formatSparseMarkdown } = await import('../bench/sparse-format.js');
  const r = await runSparseBench({
    nets: parseNets(o.nets) ?? ['lenet300'],
    densities: parseDensities(o.densities),
    reps: o.reps,
    steps: o.steps,
    warmup: o.warmup,
    infer: o.infer,
    torchThreads: o.torchThreads,
    outDir: o.out,
    python: o.python,
    torchScript: o.torchScript,
  });
  const table = (o.markdown ? formatSparseMarkdown : formatSparseBench)(r) + '\n';
  // with --json, stdout carries only the JSON object and the table goes to stderr; stdout's
  // table (or markdown) is the table alone, so that it can be pasted as it is
  if (o.json) {
    process.stderr.write(table);
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  } else process.stdout.write(table);
  process.stderr.write(`written to ${r.file}\n`);
}

async function denseBench(o: BenchFlags): Promise<void> {
  const { runBench } = await import('../bench/dense.js');
  await runBench({
    nets: parseNets(o.nets),
    reps: o.reps,
    steps: o.steps,
    warmup: o.warmup,
    batch: o.batch,
    epoch: o.epoch,
    dataDir: o.dataDir,
    outDir: o.out,
    python: o.python,
    torchScript: o.torchScript,
  });
}

/** Each network's default densities, e.g. "lenet300 1,0.2,0.1,0.05,0.02; conv4 1,0.1". */
const sparseDefaults = () =>
  Object.entries(SPARSE_NETS)
    .map(([net, p]) => `${net} ${p.densities.join(',')}`)
    .join('; ');

export function register(program: Command): void {
  program
    .command('bench')
    .description('training speed and memory against PyTorch (torch_reference.py), measured in one run')
    .option(
      '--nets <list>',
      `comma-separated subset of ${Object.keys(BENCH_NETS).join(',')} (default: all but vgg16; --sparse: lenet300)`,
    )
    .option('--reps <n>', 'interleaved repetitions per network', int, 3)
    .option('--steps <n>', 'timed steps per process (default: per network and mode, 8 to 500)', int)
    .option('--warmup <n>', 'warm-up steps per process (default: per network and mode, 3 to 500)', int)
    .option(
      '--batch <n>',
      'batch size for every network (default: per network, 60 or 128; not with --sparse)',
      int,
    )
    .option('--no-epoch', 'skip the Fashion-MNIST epoch')
    .option('--data-dir <dir>', 'Fashion-MNIST IDX files', '/usr/share/datasets/fashion-mnist')
    .option('--out <dir>', 'folder for the JSON result')
    .option('--python <path>', 'python with torch', '/usr/bin/python3')
    .option('--torch-script <path>', 'torch_reference.py')
    .option(
      '--sparse',
      "sparse engine against sprig dense and PyTorch, per density (training and inference at batch 1 and 64); sprig's masks are uniform on every layer for lenet300 and ERK for conv nets, PyTorch's uniform (its masked-dense cost does not depend on the distribution)",
    )
    .option(
      '--densities <list>',
      `--sparse: comma-separated densities for every network (default: ${sparseDefaults()})`,
    )
    .option('--no-infer', '--sparse: training rows only')
    .option(
      '--torch-threads <n>',
      "--sparse: PyTorch's threads (default 1, its fastest on a busy machine)",
      int,
    )
    .option('--json', '--sparse: print the result as JSON on stdout (the table goes to stderr)')
    .option('--markdown', '--sparse: print the table as markdown, for the README')
    .action((o: BenchFlags) => (o.sparse ? sparseBench(o) : denseBench(o)));
}

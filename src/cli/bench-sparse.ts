/**
 * `sprig bench --sparse`: examples/s of sparse networks on sprig's sparse engine against sprig's
 * dense network and PyTorch (torch_reference.py: masked-dense training, dense and CSR inference),
 * per density, in training and in inference at batch 1 and 64. One process per measurement (so
 * peak RSS is per measurement), repetitions interleaved, medians. Masks are uniform random at the
 * density on every layer, as torch_reference.py's --density.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_NETS, torchScriptPath, type BenchNet } from './bench.js';

export const DEFAULT_DENSITIES = [1, 0.2, 0.1, 0.05, 0.02];
export const INFER_BATCHES = [1, 64];

export interface SparseBenchOptions {
  nets?: BenchNet[];
  densities?: number[];
  reps?: number;
  /** Skip the inference rows (training only). */
  infer?: boolean;
  train?: boolean;
  python?: string;
  torchScript?: string;
  /** PyTorch's intra-op threads (torch_reference.py --threads); default 1, its fastest on a busy 2-core machine. */
  torchThreads?: number;
  outDir?: string;
  log?: (line: string) => void;
}

interface Measurement {
  examplesPerS: number;
  maxRssMB: number;
  sparseLayers?: string[];
}

export interface SparseBenchRow {
  net: BenchNet;
  density: number;
  mode: 'train' | 'infer';
  batch: number;
  /** Examples/s, medians over the repetitions. */
  sprigSparse: number;
  sprigDense: number;
  pytorch: number;
  pytorchCsr?: number;
  ratios: { sparseOverDense: number; sparseOverPytorch: number; sparseOverPytorchCsr?: number };
  /** Peak RSS (MB, max over repetitions) of each figure's processes. */
  rssMB: { sprigSparse: number; sprigDense: number; pytorch: number; pytorchCsr?: number };
  /** The layers that ran on the sparse kernels. */
  sparseLayers: string[];
}

export interface SparseBenchResult {
  date: string;
  reps: number;
  load: { min: number; max: number };
  peer: { blas?: string; threads: number };
  results: SparseBenchRow[];
  file?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const WORKER_FLAG = '__sprig_sparse_bench_worker';
const TRAIN_STEPS = { warmup: 300, steps: 300 };
const INFER_STEPS = { warmup: 200, steps: 400 };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1] ?? NaN;
const loadAvg = (): number => {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
};

function lastJson(cmd: string, args: string[]): Record<string, unknown> {
  const p = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  const line = (p.stdout ?? '')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (p.status !== 0 || !line)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (status ${p.status}): ${(p.stderr ?? '').trim().slice(-400)}`,
    );
  return JSON.parse(line) as Record<string, unknown>;
}

function workerCommand(): string[] {
  const self = fileURLToPath(import.meta.url);
  return self.endsWith('.ts') ? ['--import', import.meta.resolve('tsx'), self] : [self];
}

function sprig(mode: 'train' | 'infer', net: BenchNet, density: number, batch: number): Measurement {
  const r = lastJson(process.execPath, [
    ...workerCommand(),
    WORKER_FLAG,
    mode,
    net,
    String(density),
    String(batch),
  ]);
  return {
    examplesPerS: Number(r.examplesPerS),
    maxRssMB: Number(r.maxRssMB),
    sparseLayers: r.sparseLayers as string[],
  };
}

function torch(
  o: SparseBenchOptions,
  mode: 'train' | 'infer',
  net: BenchNet,
  density: number,
  batch: number,
  csr = false,
): Measurement & { blas: string } {
  const script = torchScriptPath(o);
  const steps = mode === 'train' ? TRAIN_STEPS : INFER_STEPS;
  const args = [script, mode, net, '--density', String(density), '--steps', String(steps.steps)];
  args.push('--warmup', String(steps.warmup), '--threads', String(o.torchThreads ?? 1));
  if (mode === 'infer') args.push('--batch', String(batch), '--linear', csr ? 'csr' : 'dense');
  const r = lastJson(o.python ?? '/usr/bin/python3', args);
  return { examplesPerS: Number(r.examplesPerS), maxRssMB: Number(r.maxRssMB), blas: String(r.blas) };
}

type Cell = { sparse: Measurement[]; dense: Measurement[]; pytorch: Measurement[]; csr: Measurement[] };

export async function runSparseBench(o: SparseBenchOptions = {}): Promise<SparseBenchResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const nets = o.nets ?? ['lenet300'];
  const densities = o.densities ?? DEFAULT_DENSITIES;
  const reps = o.reps ?? 3;
  const cases: { net: BenchNet; mode: 'train' | 'infer'; batch: number }[] = [];
  for (const net of nets) {
    if (o.train ?? true) cases.push({ net, mode: 'train', batch: BENCH_NETS[net].batch });
    if (o.infer ?? true) for (const batch of INFER_BATCHES) cases.push({ net, mode: 'infer', batch });
  }
  const cells = new Map<string, Cell>();
  const cell = (c: (typeof cases)[number], d: number): Cell => {
    const k = `${c.net}/${c.mode}/${c.batch}/${d}`;
    if (!cells.has(k)) cells.set(k, { sparse: [], dense: [], pytorch: [], csr: [] });
    return cells.get(k)!;
  };
  const loads: number[] = [];
  let blas: string | undefined;
  for (let r = 0; r < reps; r++) {
    for (const c of cases) {
      // sprig's dense network once per repetition and case: every density compares against it
      loads.push(loadAvg());
      const dense = sprig(c.mode, c.net, 1, c.batch);
      for (const d of densities) {
        const e = cell(c, d);
        e.dense.push(dense);
        // alternate who goes first, so neither always runs right after the other
        const order = (r + densities.indexOf(d)) % 2 === 0 ? ['sprig', 'torch'] : ['torch', 'sprig'];
        for (const who of order) {
          if (who === 'sprig') e.sparse.push(d === 1 ? dense : sprig(c.mode, c.net, d, c.batch));
          else {
            const t = torch(o, c.mode, c.net, d, c.batch);
            blas = t.blas;
            e.pytorch.push(t);
            if (c.mode === 'infer' && d < 1) e.csr.push(torch(o, c.mode, c.net, d, c.batch, true));
          }
        }
        log(
          `  rep ${r + 1}/${reps} ${c.net} ${c.mode} batch ${c.batch} density ${d}: sprig sparse ${e.sparse.at(-1)!.examplesPerS.toFixed(0)}, ` +
            `dense ${dense.examplesPerS.toFixed(0)}, pytorch ${e.pytorch.at(-1)!.examplesPerS.toFixed(0)}` +
            (e.csr.length ? `, pytorch csr ${e.csr.at(-1)!.examplesPerS.toFixed(0)}` : '') +
            ' ex/s',
        );
      }
    }
  }
  const results: SparseBenchRow[] = [];
  for (const c of cases)
    for (const d of densities) {
      const e = cell(c, d);
      const ex = (m: Measurement[]) => median(m.map((x) => x.examplesPerS));
      const rss = (m: Measurement[]) => Math.max(...m.map((x) => x.maxRssMB));
      const [s, dn, t] = [ex(e.sparse), ex(e.dense), ex(e.pytorch)];
      const csr = e.csr.length ? ex(e.csr) : undefined;
      results.push({
        net: c.net,
        density: d,
        mode: c.mode,
        batch: c.batch,
        sprigSparse: s,
        sprigDense: dn,
        pytorch: t,
        pytorchCsr: csr,
        ratios: {
          sparseOverDense: s / dn,
          sparseOverPytorch: s / t,
          sparseOverPytorchCsr: csr ? s / csr : undefined,
        },
        rssMB: {
          sprigSparse: rss(e.sparse),
          sprigDense: rss(e.dense),
          pytorch: rss(e.pytorch),
          pytorchCsr: e.csr.length ? rss(e.csr) : undefined,
        },
        sparseLayers: e.sparse[0]?.sparseLayers ?? [],
      });
    }
  const result: SparseBenchResult = {
    date: new Date().toISOString(),
    reps,
    load: { min: Math.min(...loads), max: Math.max(...loads) },
    peer: { blas, threads: o.torchThreads ?? 1 },
    results,
  };
  const outDir = o.outDir ?? join(repoRoot, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `bench-sparse-${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  result.file = file;
  return result;
}

export function formatSparseBench(r: SparseBenchResult): string {
  const head = [
    'net',
    'mode',
    'batch',
    'density',
    'sprig sparse',
    'sprig dense',
    'PyTorch',
    'PyTorch CSR',
    '×dense',
    '×PyTorch',
    'RSS MB (sparse/dense/PyTorch)',
    'sparse layers',
  ];
  const f = (x: number | undefined) => (x === undefined ? '' : x.toFixed(0));
  const rows = r.results.map((x) => [
    x.net,
    x.mode,
    String(x.batch),
    String(x.density),
    f(x.sprigSparse),
    f(x.sprigDense),
    f(x.pytorch),
    f(x.pytorchCsr),
    x.ratios.sparseOverDense.toFixed(2),
    x.ratios.sparseOverPytorch.toFixed(2),
    `${f(x.rssMB.sprigSparse)}/${f(x.rssMB.sprigDense)}/${f(x.rssMB.pytorch)}`,
    x.sparseLayers.join(',') || '-',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (c: string[]) => '| ' + c.map((s, i) => s.padEnd(w[i]!)).join(' | ') + ' |';
  return [
    line(head),
    '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|',
    ...rows.map(line),
    `(examples/s, medians of ${r.reps} interleaved repetitions; machine load ${r.load.min.toFixed(1)}–${r.load.max.toFixed(1)}; PyTorch on ${r.peer.threads} thread(s), BLAS ${r.peer.blas})`,
  ].join('\n');
}

// ------------------------------------------------------------------ the worker (one measurement per process)

async function measure(mode: string, net: BenchNet, density: number, batch: number) {
  const spec = BENCH_NETS[net];
  const { tf } = await import('../engine/index.js');
  const { createModel } = await import('../models/registry.js');
  const { Rng } = await import('../util/rng.js');
  const { randomMasks } = await import('../sparsity/index.js');
  const shape = [...spec.shape] as [number, number, number];
  const model = createModel(spec.model, shape, 10);
  const rng = new Rng(0);
  const size = shape[0] * shape[1] * shape[2];
  const x = Float32Array.from({ length: batch * size }, () => rng.normal());
  const y = Int32Array.from({ length: batch }, () => rng.nextU32() % 10);
  const densities = new Map(model.specs.filter((s) => s.prunable).map((s) => [s.name, density]));
  const masks = density < 1 ? randomMasks(model.specs, densities, new Rng(1)) : undefined;
  const times: number[] = [];
  let sparseLayers: string[] = [];
  if (mode === 'train') {
    const { train } = await import('../training/loop.js');
    let last = 0;
    const res = train({
      model,
      source: { next: () => ({ x, y, n: batch }), state: () => 0, load: () => {} },
      test: { x: x.subarray(0, size), y: y.subarray(0, 1), n: 1 },
      inputShape: shape,
      optimizer: {
        optimizer: 'sgd',
        momentum: 0.9,
        nesterov: false,
        weightDecay: 0,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
      },
      lr: { lr: 0.01, lrSchedule: 'constant', milestones: [], gamma: 0.1, warmup: 0 },
      totalSteps: TRAIN_STEPS.warmup + TRAIN_STEPS.steps,
      itersPerEpoch: 1e9,
      seed: 0,
      sparse: masks ? { masks } : undefined,
      callbacks: {
        onStep: () => {
          const now = performance.now();
          if (last) times.push((now - last) / 1000);
          last = now;
        },
      },
    });
    sparseLayers = (res.sparseLayers ?? []).filter((l) => l.engine === 'sparse').map((l) => l.layer);
    times.splice(0, TRAIN_STEPS.warmup - 1);
  } else {
    const { bindSparseLayers, sparseReport } = await import('../engine/kernels/sparse-engine.js');
    const init = model.init(new Rng(0));
    const vars = new Map(
      model.specs.map((s) => {
        const v = init.get(s.name)!;
        const m = masks?.get(s.name);
        if (m) for (let i = 0; i < v.length; i++) v[i]! *= m[i]!;
        return [s.name, tf.tensor(v, s.shape)] as const;
      }),
    );
    if (masks) bindSparseLayers(vars, masks);
    const params = Object.fromEntries(vars);
    const input = tf.tensor4d(x, [batch, ...shape]);
    for (let i = 0; i < INFER_STEPS.warmup + INFER_STEPS.steps; i++) {
      const t0 = performance.now();
      tf.tidy(() => void model.forward(params, input, false).dataSync());
      if (i >= INFER_STEPS.warmup) times.push((performance.now() - t0) / 1000);
    }
    sparseLayers = sparseReport(vars)
      .filter((l) => l.engine === 'sparse')
      .map((l) => l.layer);
  }
  const med = median(times);
  return {
    mode,
    net,
    density,
    batch,
    examplesPerS: batch / med,
    medianStepS: med,
    sparseLayers,
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

if (
  process.argv[1] &&
  resolve(process.argv[1]) === fileURLToPath(import.meta.url) &&
  process.argv[2] === WORKER_FLAG
) {
  const [mode, net, d, b] = process.argv.slice(3);
  process.stdout.write(JSON.stringify(await measure(mode!, net as BenchNet, Number(d), Number(b))) + '\n');
}

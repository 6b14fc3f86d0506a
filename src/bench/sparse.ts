/**
 * `sprig bench --sparse`: examples/s of sparse networks on sprig's sparse engine against sprig's
 * dense network and PyTorch (torch_reference.py: masked-dense training, dense and CSR inference),
 * per density, in training and in inference at batch 1 and 64. One process per measurement (so
 * peak RSS is per measurement), repetitions interleaved, medians. sprig's masks are uniform on
 * every layer for LeNet-300-100 and ERK for the conv nets; PyTorch's are uniform (its --density),
 * which does not change what a masked-dense step costs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchNet } from './nets.js';
import { loadAvg, median, repoRoot, runJson, torchScriptPath, workerCommand } from './process.js';
import {
  sparseCases,
  sparseJobs,
  type Distribution,
  type Engine,
  type PlanOptions,
  type SparseCase,
  type SparseJob,
} from './sparse-plan.js';
import { SPARSE_WORKER_FLAG, type SparseWorkerArgs } from './sparse-worker.js';

export { DEFAULT_DENSITIES, INFER_BATCHES, SPARSE_NETS } from './sparse-plan.js';

export interface SparseBenchOptions extends PlanOptions {
  python?: string;
  torchScript?: string;
  /** PyTorch's intra-op threads (torch_reference.py --threads); default 1, its fastest on a busy 2-core machine. */
  torchThreads?: number;
  outDir?: string;
  /** Progress lines (one per measurement); default stderr. */
  log?: (line: string) => void;
}

interface Measurement {
  examplesPerS: number;
  maxRssMB: number;
  sparseLayers?: string[];
  prunableLayers?: number;
  blas?: string;
}

export interface SparseBenchRow {
  net: BenchNet;
  density: number;
  /** sprig's masks: uniform on every layer, or ERK at the overall density. PyTorch's are uniform. */
  distribution: Distribution;
  mode: 'train' | 'infer';
  batch: number;
  /** Warm-up and timed steps of each measurement (every engine). */
  warmup: number;
  steps: number;
  /** Examples/s, medians over the repetitions. */
  sprigSparse: number;
  sprigDense: number;
  pytorch: number;
  pytorchCsr?: number;
  ratios: { sparseOverDense: number; sparseOverPytorch: number; sparseOverPytorchCsr?: number };
  /** Peak RSS (MB, max over repetitions) of each figure's processes. */
  rssMB: { sprigSparse: number; sprigDense: number; pytorch: number; pytorchCsr?: number };
  /** The layers that ran on the sparse kernels, of `prunableLayers` prunable ones. */
  sparseLayers: string[];
  prunableLayers: number;
}

export interface SparseBenchResult {
  date: string;
  reps: number;
  /** Wall seconds of the whole run. */
  durationS: number;
  load: { min: number; max: number };
  peer: { blas?: string; threads: number };
  results: SparseBenchRow[];
  file?: string;
}

function sprig(j: SparseJob): Measurement {
  const args: SparseWorkerArgs = {
    mode: j.mode,
    net: j.net,
    density: j.density,
    distribution: j.distribution,
    batch: j.batch,
    warmup: j.warmup,
    steps: j.steps,
  };
  const r = runJson(process.execPath, [
    ...workerCommand(import.meta.url, 'sparse-worker'),
    SPARSE_WORKER_FLAG,
    JSON.stringify(args),
  ]);
  return {
    examplesPerS: Number(r.examplesPerS),
    maxRssMB: Number(r.maxRssMB),
    sparseLayers: r.sparseLayers as string[],
    prunableLayers: Number(r.prunableLayers),
  };
}

function torch(o: SparseBenchOptions, j: SparseJob): Measurement {
  const args = [
    torchScriptPath(o),
    j.mode,
    j.net,
    '--density',
    String(j.density),
    '--steps',
    String(j.steps),
  ];
  args.push('--warmup', String(j.warmup), '--threads', String(o.torchThreads ?? 1));
  if (j.mode === 'infer')
    args.push('--batch', String(j.batch), '--linear', j.engine === 'pytorchCsr' ? 'csr' : 'dense');
  const r = runJson(o.python ?? '/usr/bin/python3', args);
  return { examplesPerS: Number(r.examplesPerS), maxRssMB: Number(r.maxRssMB), blas: String(r.blas) };
}

const runJob = (o: SparseBenchOptions, j: SparseJob): Measurement =>
  j.engine === 'sprigDense' || j.engine === 'sprigSparse' ? sprig(j) : torch(o, j);

const minutes = (s: number) => `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;

/** `[k/n] net mode batch density engine … ex/s`, with the time so far and a naive estimate of the rest. */
export function progressLine(k: number, n: number, j: SparseJob, m: Measurement, elapsedS: number): string {
  const rest = (elapsedS / k) * (n - k);
  return (
    `[${k}/${n}] rep ${j.rep + 1} ${j.net} ${j.mode} batch ${j.batch} density ${j.density}` +
    `${j.density < 1 ? ` (${j.distribution})` : ''} ${j.engine}: ${m.examplesPerS.toFixed(0)} ex/s, ` +
    `${m.maxRssMB} MB; ${minutes(elapsedS)} elapsed, ~${minutes(rest)} left`
  );
}

/** Per network: its densities, mask distribution and repetitions, e.g. "conv4 erk 1,0.1". */
function planSummary(jobs: SparseJob[]): string {
  const nets = [
    ...new Map(jobs.map((j) => [j.net, `${j.net} ${j.distribution} ${j.densities.join(',')}`])).values(),
  ];
  return `${nets.join('; ')}; ${Math.max(...jobs.map((j) => j.rep)) + 1} repetitions`;
}

type Done = { job: SparseJob; m: Measurement };

function measureAll(o: SparseBenchOptions, jobs: SparseJob[], loads: number[]): Done[] {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  log(`sprig bench --sparse: ${jobs.length} measurements, one process each (${planSummary(jobs)})`);
  const t0 = performance.now();
  return jobs.map((job, i) => {
    loads.push(loadAvg());
    const m = runJob(o, job);
    log(progressLine(i + 1, jobs.length, job, m, (performance.now() - t0) / 1000));
    return { job, m };
  });
}

/** One row: the medians of a case's measurements at one density (sprig dense: at density 1). */
export function sparseRow(c: SparseCase, density: number, done: Done[]): SparseBenchRow {
  const same = (j: SparseJob) => j.net === c.net && j.mode === c.mode && j.batch === c.batch;
  const of = (e: Engine, d: number) =>
    done.filter((x) => same(x.job) && x.job.engine === e && x.job.density === d).map((x) => x.m);
  const dense = of('sprigDense', 1);
  const sparse = density < 1 ? of('sprigSparse', density) : dense;
  const [pt, csr] = [of('pytorch', density), of('pytorchCsr', density)];
  const ex = (m: Measurement[]) => (m.length ? median(m.map((x) => x.examplesPerS)) : undefined);
  const rss = (m: Measurement[]) => (m.length ? Math.max(...m.map((x) => x.maxRssMB)) : undefined);
  const [s, dn, t, tc] = [ex(sparse)!, ex(dense)!, ex(pt)!, ex(csr)];
  return {
    net: c.net,
    density,
    distribution: c.distribution,
    mode: c.mode,
    batch: c.batch,
    warmup: c.warmup,
    steps: c.steps,
    sprigSparse: s,
    sprigDense: dn,
    pytorch: t,
    pytorchCsr: tc,
    ratios: {
      sparseOverDense: s / dn,
      sparseOverPytorch: s / t,
      sparseOverPytorchCsr: tc ? s / tc : undefined,
    },
    rssMB: { sprigSparse: rss(sparse)!, sprigDense: rss(dense)!, pytorch: rss(pt)!, pytorchCsr: rss(csr) },
    sparseLayers: sparse[0]?.sparseLayers ?? [],
    prunableLayers: dense[0]?.prunableLayers ?? 0,
  };
}

export async function runSparseBench(o: SparseBenchOptions = {}): Promise<SparseBenchResult> {
  const reps = o.reps ?? 3;
  const cases = sparseCases(o);
  const loads: number[] = [];
  const t0 = performance.now();
  const done = measureAll(o, sparseJobs(cases, reps), loads);
  const result: SparseBenchResult = {
    date: new Date().toISOString(),
    reps,
    durationS: (performance.now() - t0) / 1000,
    load: { min: Math.min(...loads), max: Math.max(...loads) },
    peer: { blas: done.find((d) => d.m.blas)?.m.blas, threads: o.torchThreads ?? 1 },
    results: cases.flatMap((c) => c.densities.map((d) => sparseRow(c, d, done))),
  };
  const outDir = o.outDir ?? join(repoRoot, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `bench-sparse-${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  result.file = file;
  return result;
}

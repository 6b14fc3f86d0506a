/**
 * `sprig bench`: training throughput and peak memory of sprig against PyTorch (the peer a user would
 * otherwise pick: ../shared/bench/torch_reference.py on Debian's python3-torch), measured in ONE run
 * on the same machine. Repetitions of both are interleaved (sprig, torch, sprig, torch, …) so that
 * load from elsewhere hits both alike; each measurement is its own process, so peak RSS is per
 * process. Also one full epoch of LeNet-300-100 on Fashion-MNIST, data loading included.
 *
 * The sprig side is the real training loop (training/loop.ts: model registry, variableGrads, the
 * optimizer) on a fixed random batch, as torch_reference.py does.
 */
import './v8-tuning.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { int } from './flags.js';
import type { TrainOptions } from '../training/loop.js';

/**
 * The benchmark networks: torch_reference.py's names, sprig's registry names, shapes and batch sizes,
 * and default warm-up and timed steps (the same for both engines). Both are timed in steady state:
 * V8 keeps optimising sprig's per-step JavaScript for a few hundred steps (LeNet-300-100: 1.6 ms per
 * step over the first 30, 1.0 ms over steps 30-90, 0.7 ms from step 300 on), so the small networks,
 * whose steps take about a millisecond, warm up longer and are timed over more steps.
 */
export const BENCH_NETS = {
  lenet300: { model: 'mnist_lenet_300_100', shape: [28, 28, 1], batch: 60, warmup: 500, steps: 500 },
  lenet5: { model: 'mnist_lenet5', shape: [28, 28, 1], batch: 128, warmup: 200, steps: 200 },
  conv4: { model: 'cifar_conv4', shape: [32, 32, 3], batch: 60, warmup: 30, steps: 60 },
  resnet20: { model: 'cifar_resnet_20', shape: [32, 32, 3], batch: 128, warmup: 30, steps: 60 },
} as const satisfies Record<
  string,
  { model: string; shape: [number, number, number]; batch: number; warmup: number; steps: number }
>;
export type BenchNet = keyof typeof BENCH_NETS;

export interface BenchOptions {
  nets?: BenchNet[];
  /** Interleaved repetitions per network (each a fresh process per engine); default 3. */
  reps?: number;
  /** Timed steps per process (after warm-up), for every network; default: BENCH_NETS' per network. */
  steps?: number;
  /** Warm-up steps per process, for every network; default: BENCH_NETS' per network. */
  warmup?: number;
  /** Batch size for every network (both engines); default: BENCH_NETS' per network. */
  batch?: number;
  /** Also time one epoch of LeNet-300-100 on Fashion-MNIST; default true. */
  epoch?: boolean;
  dataDir?: string;
  /** Where the JSON goes (a folder); default bench/results in the repository. */
  outDir?: string;
  python?: string;
  torchScript?: string;
  log?: (line: string) => void;
}

export interface TrainMeasurement {
  examplesPerS: number;
  medianStepS: number;
  maxRssMB: number;
  /** Dense training FLOPs per second (3× the forward FLOPs per example, RigL's count); sprig only. */
  gflopsPerS?: number;
}
export interface BenchRow {
  net: BenchNet;
  batch: number;
  /** Timed steps and warm-up steps per process (both engines). */
  steps: number;
  warmup: number;
  sprig: { examplesPerS: number; gflopsPerS: number; maxRssMB: number; runs: TrainMeasurement[] };
  pytorch: { examplesPerS: number; maxRssMB: number; runs: TrainMeasurement[]; blas?: string };
  /** sprig / PyTorch training examples per second (medians over repetitions). */
  ratio: number;
  /** sprig / PyTorch peak RSS (max over repetitions). */
  rssRatio: number;
}
export interface EpochRow {
  sprig: { loadS: number; trainEpochS: number; testAccuracy: number; maxRssMB: number };
  pytorch: { loadS: number; trainEpochS: number; testAccuracy: number; maxRssMB: number };
  /** Interleaved repetitions; each engine's row is its median repetition by load + train time. */
  reps: number;
  /** PyTorch's (load + train) seconds / sprig's: > 1 means sprig is faster. */
  speedup: number;
}
export interface BenchResult {
  date: string;
  machine: { cpus: number; node: string };
  engine: { engine: string; reason?: string; kernels: number };
  settings: { reps: number; models: string };
  /** 1-minute load average before each measurement: min and max over the run. */
  load: { min: number; max: number };
  rows: BenchRow[];
  epoch?: EpochRow;
  file?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const WORKER_FLAG = '__sprig_bench_worker';

/** The machine's 1-minute load average (other processes' load skews both engines; it is recorded). */
const loadAvg = (): number => {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

/** The PyTorch peer: --torch-script, else shared/bench beside the checkout. */
export function torchScriptPath(o: { torchScript?: string }): string {
  const candidates = [
    o.torchScript,
    join(repoRoot, '..', 'shared', 'bench', 'torch_reference.py'),
    '/work/shared/bench/torch_reference.py',
  ];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found) throw new Error('torch_reference.py not found: pass --torch-script PATH');
  return found;
}

/** Runs a child and returns its last JSON line. */
function runJson(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const p = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 16 << 20 });
  const line = (p.stdout ?? '')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (p.status !== 0 || !line) {
    throw new Error(
      `${cmd} ${args.join(' ')} failed (status ${p.status}): ${(p.stderr ?? '').trim().split('\n').slice(-5).join(' | ')}`,
    );
  }
  return JSON.parse(line) as Record<string, unknown>;
}

/** How to start this module as a worker: compiled JS directly, TypeScript through tsx. */
function workerCommand(): string[] {
  const self = fileURLToPath(import.meta.url);
  return self.endsWith('.ts') ? ['--import', import.meta.resolve('tsx'), self] : [self];
}

function sprigTrain(net: BenchNet, steps: number, warmup: number, batch?: number): TrainMeasurement {
  const r = runJson(process.execPath, [
    ...workerCommand(),
    WORKER_FLAG,
    'train',
    net,
    String(steps),
    String(warmup),
    ...(batch ? [String(batch)] : []),
  ]);
  return {
    examplesPerS: Number(r.examplesPerS),
    medianStepS: Number(r.medianStepS),
    maxRssMB: Number(r.maxRssMB),
    gflopsPerS: Number(r.gflopsPerS),
  };
}

function torchTrain(
  o: BenchOptions,
  net: BenchNet,
  steps: number,
  warmup: number,
): TrainMeasurement & { blas?: string } {
  const r = runJson(o.python ?? '/usr/bin/python3', [
    torchScriptPath(o),
    'train',
    net,
    '--steps',
    String(steps),
    '--warmup',
    String(warmup),
    ...(o.batch ? ['--batch', String(o.batch)] : []),
  ]);
  return {
    examplesPerS: Number(r.examplesPerS),
    medianStepS: Number(r.medianStepS),
    maxRssMB: Number(r.maxRssMB),
    blas: String(r.blas),
  };
}

export async function runBench(o: BenchOptions = {}): Promise<BenchResult> {
  const log = o.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const nets = o.nets ?? (Object.keys(BENCH_NETS) as BenchNet[]);
  const reps = o.reps ?? 3;
  const { engineStatus } = await import('../engine/index.js');
  const st = engineStatus();
  log(`sprig engine: ${st.engine}${st.reason ? ` (${st.reason})` : ''}, ${st.kernels.length} native kernels`);
  const runs = new Map<BenchNet, { s: TrainMeasurement[]; t: (TrainMeasurement & { blas?: string })[] }>();
  for (const net of nets) runs.set(net, { s: [], t: [] });
  const loads: number[] = [];
  for (let r = 0; r < reps; r++) {
    for (const net of nets) {
      // Alternate who goes first, so neither always runs on a machine warmed (or loaded) by the other.
      const order = r % 2 === 0 ? ['sprig', 'torch'] : ['torch', 'sprig'];
      const steps = o.steps ?? BENCH_NETS[net].steps,
        warmup = o.warmup ?? BENCH_NETS[net].warmup;
      for (const who of order) {
        loads.push(loadAvg());
        if (who === 'sprig') runs.get(net)!.s.push(sprigTrain(net, steps, warmup, o.batch));
        else runs.get(net)!.t.push(torchTrain(o, net, steps, warmup));
      }
      const e = runs.get(net)!;
      log(
        `  rep ${r + 1}/${reps} ${net}: sprig ${e.s.at(-1)!.examplesPerS.toFixed(0)} ex/s, pytorch ${e.t.at(-1)!.examplesPerS.toFixed(0)} ex/s`,
      );
    }
  }
  const rows: BenchRow[] = nets.map((net) => {
    const e = runs.get(net)!;
    const s = median(e.s.map((m) => m.examplesPerS)),
      t = median(e.t.map((m) => m.examplesPerS));
    const sr = Math.max(...e.s.map((m) => m.maxRssMB)),
      tr = Math.max(...e.t.map((m) => m.maxRssMB));
    return {
      net,
      batch: o.batch ?? BENCH_NETS[net].batch,
      steps: o.steps ?? BENCH_NETS[net].steps,
      warmup: o.warmup ?? BENCH_NETS[net].warmup,
      sprig: {
        examplesPerS: s,
        gflopsPerS: median(e.s.map((m) => m.gflopsPerS ?? NaN)),
        maxRssMB: sr,
        runs: e.s,
      },
      pytorch: { examplesPerS: t, maxRssMB: tr, runs: e.t, blas: e.t[0]?.blas },
      ratio: s / t,
      rssRatio: sr / tr,
    };
  });
  let epoch: EpochRow | undefined;
  if (o.epoch ?? true) {
    const dataDir = o.dataDir ?? '/usr/share/datasets/fashion-mnist';
    log(`  epoch: LeNet-300-100 on Fashion-MNIST (${dataDir})`);
    type Epoch = EpochRow['sprig'];
    const pick = (r: Record<string, unknown>): Epoch => ({
      loadS: Number(r.loadS),
      trainEpochS: Number(r.trainEpochS),
      testAccuracy: Number(r.testAccuracy),
      maxRssMB: Number(r.maxRssMB),
    });
    // Repeated and interleaved like the step timings: one epoch is a couple of seconds, well within
    // the machine's noise. The repetition with the median (load + train) time is reported.
    const se: Epoch[] = [],
      te: Epoch[] = [];
    for (let r = 0; r < reps; r++) {
      const order = r % 2 === 0 ? ['sprig', 'torch'] : ['torch', 'sprig'];
      for (const who of order) {
        if (who === 'sprig') {
          se.push(pick(runJson(process.execPath, [...workerCommand(), WORKER_FLAG, 'epoch', dataDir])));
        } else {
          te.push(
            pick(
              runJson(o.python ?? '/usr/bin/python3', [
                torchScriptPath(o),
                'epoch',
                'lenet300',
                '--data',
                dataDir,
              ]),
            ),
          );
        }
      }
    }
    const total = (e: Epoch) => e.loadS + e.trainEpochS;
    const mid = (es: Epoch[]) => [...es].sort((a, b) => total(a) - total(b))[(es.length - 1) >> 1]!;
    const sp = mid(se),
      tp = mid(te);
    epoch = { sprig: sp, pytorch: tp, speedup: total(tp) / total(sp), reps };
  }
  const result: BenchResult = {
    date: new Date().toISOString(),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    engine: { engine: st.engine, reason: st.reason, kernels: st.kernels.length },
    settings: {
      reps,
      models: 'model registry + training loop',
    },
    load: { min: Math.min(...loads), max: Math.max(...loads) },
    rows,
    epoch,
  };
  const outDir = o.outDir ?? join(repoRoot, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `bench-${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  result.file = file;
  log('');
  log(formatBench(result));
  log(`\nwritten to ${file}`);
  return result;
}

export function formatBench(r: BenchResult): string {
  const head = [
    'network',
    'batch',
    'steps (warm-up)',
    'sprig ex/s',
    'sprig GFLOP/s',
    'PyTorch ex/s',
    'ratio',
    'sprig RSS MB',
    'PyTorch RSS MB',
    'RSS ratio',
  ];
  const rows = r.rows.map((x) => [
    x.net,
    String(x.batch),
    `${x.steps} (${x.warmup})`,
    x.sprig.examplesPerS.toFixed(0),
    (x.sprig.gflopsPerS ?? NaN).toFixed(1),
    x.pytorch.examplesPerS.toFixed(0),
    x.ratio.toFixed(2),
    x.sprig.maxRssMB.toFixed(0),
    x.pytorch.maxRssMB.toFixed(0),
    x.rssRatio.toFixed(2),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (c: string[]) => c.map((s, i) => (i === 0 ? s.padEnd(w[i]!) : s.padStart(w[i]!))).join('  ');
  const out = [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)];
  out.push(
    `(medians of ${r.settings.reps} interleaved repetitions, each the median step time over its timed steps; ratio = sprig / PyTorch)`,
  );
  out.push(
    'GFLOP/s: dense training FLOPs (3× forward, RigL App. H: conv and FC multiply-adds, no BN/bias) per second',
  );
  out.push(
    `machine load (1-min average) during the run: ${r.load.min.toFixed(2)}–${r.load.max.toFixed(2)} on ${r.machine.cpus} CPUs` +
      // the benchmark itself keeps about `cpus` threads busy: more than that is someone else
      (r.load.max > r.machine.cpus + 1
        ? ' — other processes were busy: both engines slow down, PyTorch more (its OpenMP threads stall on a busy machine)'
        : ''),
  );
  if (r.epoch) {
    const e = r.epoch;
    out.push('');
    out.push(
      `one epoch of LeNet-300-100 on Fashion-MNIST (batch 60, SGD 0.1; median of ${e.reps} interleaved repetitions):`,
    );
    out.push(
      `  sprig:   load ${e.sprig.loadS.toFixed(2)} s + train ${e.sprig.trainEpochS.toFixed(2)} s, test accuracy ${(100 * e.sprig.testAccuracy).toFixed(2)}%, RSS ${e.sprig.maxRssMB.toFixed(0)} MB`,
    );
    out.push(
      `  PyTorch: load ${e.pytorch.loadS.toFixed(2)} s + train ${e.pytorch.trainEpochS.toFixed(2)} s, test accuracy ${(100 * e.pytorch.testAccuracy).toFixed(2)}%, RSS ${e.pytorch.maxRssMB.toFixed(0)} MB`,
    );
    out.push(`  speed-up (PyTorch time / sprig time): ${e.speedup.toFixed(2)}`);
  }
  return out.join('\n');
}

// ------------------------------------------------------------------ the worker (one measurement per process)

const rssMB = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

/** SGD at a constant learning rate, as torch_reference.py trains. */
function sgd(lr: number, momentum: number): Pick<TrainOptions, 'optimizer' | 'lr'> {
  return {
    optimizer: {
      optimizer: 'sgd',
      momentum,
      nesterov: false,
      weightDecay: 0,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
    },
    lr: { lr, lrSchedule: 'constant', milestones: [], gamma: 0.1, warmup: 0 },
  };
}

export async function measureTrain(
  net: BenchNet,
  steps: number,
  warmup: number,
  batchSize?: number,
): Promise<Record<string, unknown>> {
  const spec = BENCH_NETS[net];
  const { createModel } = await import('../models/registry.js');
  const { train } = await import('../training/loop.js');
  const { Rng } = await import('../util/rng.js');
  const shape = [...spec.shape] as [number, number, number];
  const model = createModel(spec.model, shape, 10);
  const rng = new Rng(0);
  const n = batchSize || spec.batch,
    size = shape[0] * shape[1] * shape[2];
  const x = new Float32Array(n * size);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const y = Int32Array.from({ length: n }, () => rng.nextU32() % 10);
  const batch = { x, y, n };
  const times: number[] = [];
  let last = performance.now();
  train({
    model,
    source: { next: () => batch, state: () => 0, load: () => {} },
    test: { x: x.subarray(0, size), y: y.subarray(0, 1), n: 1 },
    inputShape: shape,
    ...sgd(0.01, 0.9),
    totalSteps: warmup + steps,
    itersPerEpoch: 1e9,
    seed: 0,
    callbacks: {
      onStep: () => {
        const now = performance.now();
        times.push((now - last) / 1000);
        last = now;
      },
    },
  });
  const med = median(times.slice(warmup));
  const { denseForwardFlops } = await import('../sparsity/flops.js');
  return {
    mode: 'train',
    net,
    batch: n,
    medianStepS: med,
    examplesPerS: n / med,
    gflopsPerS: (3 * denseForwardFlops(model.specs) * n) / med / 1e9,
    engine: 'sprig',
    maxRssMB: rssMB(),
  };
}

async function workerEpoch(dataDir: string): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const { loadDataset } = await import('../data/registry.js');
  const ds = loadDataset({ name: 'fashion_mnist', dataDir });
  const loadS = (performance.now() - t0) / 1000;
  const { createModel } = await import('../models/registry.js');
  const { train } = await import('../training/loop.js');
  const { streamSource } = await import('../training/sources.js');
  const model = createModel('mnist_lenet_300_100', ds.inputShape, ds.numClasses);
  const source = streamSource(ds.train, { batchSize: 60, seed: 0 });
  const t1 = performance.now();
  let tEnd = t1;
  const res = train({
    model,
    source,
    test: ds.test,
    inputShape: ds.inputShape,
    ...sgd(0.1, 0),
    totalSteps: source.batchesPerEpoch,
    itersPerEpoch: source.batchesPerEpoch,
    seed: 0,
    callbacks: {
      onStep: (s, total) => {
        if (s === total) tEnd = performance.now();
      },
    },
  });
  return {
    mode: 'epoch',
    net: 'lenet300',
    data: 'fashion-mnist',
    engine: 'sprig',
    loadS,
    trainEpochS: (tEnd - t1) / 1000,
    testAccuracy: res.test.accuracy,
    maxRssMB: rssMB(),
  };
}

async function worker(args: string[]): Promise<void> {
  const [mode, a, b, c, d] = args;
  const out =
    mode === 'train'
      ? await measureTrain(a as BenchNet, Number(b ?? 20), Number(c ?? 3), Number(d ?? 0))
      : await workerEpoch(a!);
  process.stdout.write(JSON.stringify(out) + '\n');
}

if (
  process.argv[1] &&
  resolve(process.argv[1]) === fileURLToPath(import.meta.url) &&
  process.argv[2] === WORKER_FLAG
) {
  await worker(process.argv.slice(3));
}

// ------------------------------------------------------------------ CLI

export function register(program: Command): void {
  program
    .command('bench')
    .description('training speed and memory against PyTorch (torch_reference.py), measured in one run')
    .option('--nets <list>', `comma-separated subset of ${Object.keys(BENCH_NETS).join(',')}`)
    .option('--reps <n>', 'interleaved repetitions per network', int, 3)
    .option('--steps <n>', 'timed steps per process (default: per network, 60 to 500)', int)
    .option('--warmup <n>', 'warm-up steps per process (default: per network, 30 to 500)', int)
    .option('--batch <n>', 'batch size for every network (default: per network, 60 or 128)', int)
    .option('--no-epoch', 'skip the Fashion-MNIST epoch')
    .option('--data-dir <dir>', 'Fashion-MNIST IDX files', '/usr/share/datasets/fashion-mnist')
    .option('--out <dir>', 'folder for the JSON result')
    .option('--python <path>', 'python with torch', '/usr/bin/python3')
    .option('--torch-script <path>', 'torch_reference.py')
    .option('--sparse', 'sparse engine against sprig dense and PyTorch, per density (training and inference)')
    .option('--densities <list>', '--sparse: comma-separated densities (default 1,0.2,0.1,0.05,0.02)')
    .option('--no-infer', '--sparse: training rows only')
    .option(
      '--torch-threads <n>',
      "--sparse: PyTorch's threads (default 1, its fastest on a busy machine)",
      int,
    )
    .option('--json', 'print the result as JSON on stdout')
    .action(
      async (o: {
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
      }) => {
        const nets = o.nets
          ?.split(',')
          .map((s) => s.trim())
          .filter(Boolean) as BenchNet[] | undefined;
        for (const n of nets ?? [])
          if (!(n in BENCH_NETS))
            throw new Error(
              `unknown benchmark network '${n}' (valid: ${Object.keys(BENCH_NETS).join(', ')})`,
            );
        if (o.sparse) {
          const { runSparseBench, formatSparseBench } = await import('./bench-sparse.js');
          const densities = o.densities?.split(',').map(Number);
          if (densities?.some((d) => !(d > 0 && d <= 1)))
            throw new Error(`--densities must be numbers in (0, 1], got '${o.densities}'`);
          const r = await runSparseBench({
            nets: nets ?? ['lenet300'],
            densities,
            reps: o.reps,
            infer: o.infer,
            torchThreads: o.torchThreads,
            outDir: o.out,
            python: o.python,
            torchScript: o.torchScript,
          });
          if (o.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
          else process.stdout.write(formatSparseBench(r) + `\nwritten to ${r.file}\n`);
          return;
        }
        await runBench({
          nets,
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
      },
    );
}

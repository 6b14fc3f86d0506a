/**
 * `sprig bench`: training throughput and peak memory of sprig against PyTorch (the peer a user would
 * otherwise pick: ../shared/bench/torch_reference.py on Debian's python3-torch), measured in ONE run
 * on the same machine. Repetitions of both are interleaved (sprig, torch, sprig, torch, …) so that
 * load from elsewhere hits both alike; each measurement is its own process, so peak RSS is per
 * process. Also one full epoch of LeNet-300-100 on Fashion-MNIST, data loading included.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { BENCH_NETS, DENSE_DEFAULT_NETS, type BenchNet } from './nets.js';
import { loadAvg, median, repoRoot, runJson, torchScriptPath, workerCommand } from './process.js';
import { DENSE_WORKER_FLAG } from './dense-worker.js';
import { formatBench } from './dense-format.js';
import type {
  BenchResult,
  BenchRow,
  EpochRow,
  EpochRun,
  TorchMeasurement,
  TrainMeasurement,
} from './dense-result.js';
import type { PeakFlops } from '../engine/index.js';

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

const stepsOf = (o: BenchOptions, net: BenchNet) => ({
  steps: o.steps ?? BENCH_NETS[net].steps,
  warmup: o.warmup ?? BENCH_NETS[net].warmup,
});

function sprigTrain(o: BenchOptions, net: BenchNet): TrainMeasurement {
  const { steps, warmup } = stepsOf(o, net);
  const r = runJson(process.execPath, [
    ...workerCommand(import.meta.url, 'dense-worker'),
    DENSE_WORKER_FLAG,
    'train',
    net,
    String(steps),
    String(warmup),
    ...(o.batch ? [String(o.batch)] : []),
  ]);
  return {
    examplesPerS: Number(r.examplesPerS),
    medianStepS: Number(r.medianStepS),
    maxRssMB: Number(r.maxRssMB),
    gflopsPerS: Number(r.gflopsPerS),
  };
}

function torchTrain(o: BenchOptions, net: BenchNet): TorchMeasurement {
  const { steps, warmup } = stepsOf(o, net);
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

type Runs = Map<BenchNet, { s: TrainMeasurement[]; t: TorchMeasurement[] }>;

/** Every network's repetitions, interleaved: sprig and torch alternate who goes first. */
function measureNets(o: BenchOptions, nets: BenchNet[], reps: number, loads: number[]): Runs {
  const log = o.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const runs: Runs = new Map(nets.map((n) => [n, { s: [], t: [] }]));
  for (let r = 0; r < reps; r++) {
    for (const net of nets) {
      // Alternate who goes first, so neither always runs on a machine warmed (or loaded) by the other.
      const order = r % 2 === 0 ? ['sprig', 'torch'] : ['torch', 'sprig'];
      const e = runs.get(net)!;
      for (const who of order) {
        loads.push(loadAvg());
        if (who === 'sprig') e.s.push(sprigTrain(o, net));
        else e.t.push(torchTrain(o, net));
      }
      log(
        `  rep ${r + 1}/${reps} ${net}: sprig ${e.s.at(-1)!.examplesPerS.toFixed(0)} ex/s, pytorch ${e.t.at(-1)!.examplesPerS.toFixed(0)} ex/s`,
      );
    }
  }
  return runs;
}

function benchRow(
  o: BenchOptions,
  net: BenchNet,
  e: { s: TrainMeasurement[]; t: TorchMeasurement[] },
): BenchRow {
  const s = median(e.s.map((m) => m.examplesPerS)),
    t = median(e.t.map((m) => m.examplesPerS));
  const sr = Math.max(...e.s.map((m) => m.maxRssMB)),
    tr = Math.max(...e.t.map((m) => m.maxRssMB));
  return {
    net,
    batch: o.batch ?? BENCH_NETS[net].batch,
    ...stepsOf(o, net),
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
}

const pickEpoch = (r: Record<string, unknown>): EpochRun => ({
  loadS: Number(r.loadS),
  trainEpochS: Number(r.trainEpochS),
  testAccuracy: Number(r.testAccuracy),
  maxRssMB: Number(r.maxRssMB),
});

/**
 * One epoch per engine and repetition, interleaved like the step timings: one epoch is a couple of
 * seconds, well within the machine's noise. The repetition with the median (load + train) time is
 * reported.
 */
function measureEpochs(o: BenchOptions, reps: number): EpochRow {
  const dataDir = o.dataDir ?? '/usr/share/datasets/fashion-mnist';
  (o.log ?? ((l: string) => process.stdout.write(l + '\n')))(
    `  epoch: LeNet-300-100 on Fashion-MNIST (${dataDir})`,
  );
  const worker = workerCommand(import.meta.url, 'dense-worker');
  const se: EpochRun[] = [],
    te: EpochRun[] = [];
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? ['sprig', 'torch'] : ['torch', 'sprig'];
    for (const who of order) {
      if (who === 'sprig')
        se.push(pickEpoch(runJson(process.execPath, [...worker, DENSE_WORKER_FLAG, 'epoch', dataDir])));
      else
        te.push(
          pickEpoch(
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
  const total = (e: EpochRun) => e.loadS + e.trainEpochS;
  const mid = (es: EpochRun[]) => [...es].sort((a, b) => total(a) - total(b))[(es.length - 1) >> 1]!;
  const sp = mid(se),
    tp = mid(te);
  return { sprig: sp, pytorch: tp, speedup: total(tp) / total(sp), reps };
}

/** The native engine's fp32 peak (peak.cc), or undefined without the addon. */
async function measurePeak(): Promise<PeakFlops | undefined> {
  const { nativeAddon } = await import('../engine/index.js');
  return nativeAddon()?.peakFlops(500);
}

export async function runBench(o: BenchOptions = {}): Promise<BenchResult> {
  const log = o.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const nets = o.nets ?? DENSE_DEFAULT_NETS;
  const reps = o.reps ?? 3;
  const { engineStatus } = await import('../engine/index.js');
  const st = engineStatus();
  log(`sprig engine: ${st.engine}${st.reason ? ` (${st.reason})` : ''}, ${st.kernels.length} native kernels`);
  const loads: number[] = [];
  const peaks = [await measurePeak()];
  const runs = measureNets(o, nets, reps, loads);
  const epoch = (o.epoch ?? true) ? measureEpochs(o, reps) : undefined;
  peaks.push(await measurePeak());
  const result: BenchResult = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    engine: { engine: st.engine, reason: st.reason, kernels: st.kernels.length },
    settings: { reps, models: 'model registry + training loop' },
    load: { min: Math.min(...loads), max: Math.max(...loads) },
    peak: peaks.reduce((a, b) => (b && (!a || b.gflops > a.gflops) ? b : a)),
    rows: nets.map((net) => benchRow(o, net, runs.get(net)!)),
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

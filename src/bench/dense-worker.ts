/**
 * `sprig bench`'s worker: one measurement per process, printed as one JSON line. The sprig side is
 * the real training loop (training/loop.ts: model registry, variableGrads, the optimizer) on a
 * fixed random batch, as torch_reference.py does; or one full Fashion-MNIST epoch of LeNet-300-100.
 */
import '../util/v8-tuning.js';
import type { TrainOptions } from '../training/loop.js';
import { BENCH_NETS, type BenchNet } from './nets.js';
import { isMain, median, rssMB } from './process.js';

export const DENSE_WORKER_FLAG = '__sprig_bench_worker';

/** SGD at a constant learning rate, as torch_reference.py trains. */
export function sgd(lr: number, momentum: number): Pick<TrainOptions, 'optimizer' | 'lr'> {
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

/** A fixed random batch of `n` examples of `shape` (normal inputs, labels 0-9). */
export async function randomBatch(shape: readonly number[], n: number) {
  const { Rng } = await import('../util/rng.js');
  const rng = new Rng(0);
  const size = shape[0]! * shape[1]! * shape[2]!;
  const x = new Float32Array(n * size);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const y = Int32Array.from({ length: n }, () => rng.nextU32() % 10);
  return { x, y, n, size };
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
  const shape = [...spec.shape] as [number, number, number];
  const model = createModel(spec.model, shape, 10);
  const { x, y, n, size } = await randomBatch(shape, batchSize || spec.batch);
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

export async function measureEpoch(dataDir: string): Promise<Record<string, unknown>> {
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
      : await measureEpoch(a!);
  process.stdout.write(JSON.stringify(out) + '\n');
}

if (isMain(import.meta.url) && process.argv[2] === DENSE_WORKER_FLAG) await worker(process.argv.slice(3));

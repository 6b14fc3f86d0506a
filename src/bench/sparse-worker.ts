/**
 * `sprig bench --sparse`'s worker: one measurement per process, printed as one JSON line. Training
 * runs the real training loop on a fixed random batch with fixed random masks (the sparse engine
 * picks each layer's kernels, as in a run); inference runs the model's forward in eval mode on
 * masked weights bound to the sparse engine.
 */
import type { Masks } from '../sparsity/mask.js';
import type { Model } from '../models/types.js';
import { BENCH_NETS, type BenchNet } from './nets.js';
import { isMain, median, rssMB } from './process.js';
import { randomBatch, sgd } from './dense-worker.js';
import type { Distribution } from './sparse-plan.js';

export const SPARSE_WORKER_FLAG = '__sprig_sparse_bench_worker';

/** What one measurement times: the model, its input shape, a fixed batch, the masks, the step counts. */
export interface Bench {
  model: Model;
  shape: [number, number, number];
  b: Awaited<ReturnType<typeof randomBatch>>;
  masks: Masks | undefined;
  warmup: number;
  steps: number;
  /** The training step's engine (default TF.js). */
  engine?: 'tfjs' | 'compiled';
}
interface Timed {
  times: number[];
  sparseLayers: string[];
}

/** Random masks at `density`: the same density on every layer (uniform) or RigL's ERK split. */
export async function benchMasks(
  model: Model,
  density: number,
  distribution: Distribution,
): Promise<Masks | undefined> {
  if (density >= 1) return undefined;
  const { Rng } = await import('../util/rng.js');
  const { randomMasks, layerDensities } = await import('../sparsity/index.js');
  const densities =
    distribution === 'erk'
      ? layerDensities(model.specs, { distribution: 'erk', sparsity: 1 - density })
      : new Map(model.specs.filter((s) => s.prunable).map((s) => [s.name, density]));
  return randomMasks(model.specs, densities, new Rng(1));
}

/** Step times of the training loop (SGD, momentum 0.9, as torch_reference.py) after `warmup` steps. */
export async function trainTimes({ model, shape, b, masks, warmup, steps, engine }: Bench): Promise<Timed> {
  const { train } = await import('../training/loop.js');
  const times: number[] = [];
  let last = 0;
  const res = train({
    model,
    source: { next: () => ({ x: b.x, y: b.y, n: b.n }), state: () => 0, load: () => {} },
    test: { x: b.x.subarray(0, b.size), y: b.y.subarray(0, 1), n: 1 },
    inputShape: shape,
    ...sgd(0.01, 0.9),
    totalSteps: warmup + steps,
    itersPerEpoch: 1e9,
    seed: 0,
    sparse: masks ? { masks } : undefined,
    engine,
    callbacks: {
      onStep: () => {
        const now = performance.now();
        if (last) times.push((now - last) / 1000);
        last = now;
      },
    },
  });
  const sparseLayers = (res.sparseLayers ?? []).filter((l) => l.engine === 'sparse').map((l) => l.layer);
  // the first step has no start time: times[k] is step k + 2, so the timed steps start at warmup - 1
  return { times: times.slice(Math.max(0, warmup - 1)), sparseLayers };
}

/** Latencies of the eval-mode forward over masked weights bound to the sparse engine. */
async function inferTimes({ model, shape, b, masks, warmup, steps }: Bench): Promise<Timed> {
  const { bindSparseLayers, sparseReport, tf } = await import('../engine/index.js');
  const { Rng } = await import('../util/rng.js');
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
  const input = tf.tensor4d(b.x, [b.n, ...shape]);
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    tf.tidy(() => void model.forward(params, input, false).dataSync());
    if (i >= warmup) times.push((performance.now() - t0) / 1000);
  }
  const sparseLayers = sparseReport(vars)
    .filter((l) => l.engine === 'sparse')
    .map((l) => l.layer);
  return { times, sparseLayers };
}

export interface SparseWorkerArgs {
  mode: 'train' | 'infer';
  net: BenchNet;
  density: number;
  distribution: Distribution;
  batch: number;
  warmup: number;
  steps: number;
}

export async function measureSparse(a: SparseWorkerArgs): Promise<Record<string, unknown>> {
  const spec = BENCH_NETS[a.net];
  const { createModel } = await import('../models/registry.js');
  const shape = [...spec.shape] as [number, number, number];
  const model = createModel(spec.model, shape, 10);
  const masks = await benchMasks(model, a.density, a.distribution);
  const b = await randomBatch(shape, a.batch);
  const bench = { model, shape, b, masks, warmup: a.warmup, steps: a.steps };
  const timed = await (a.mode === 'train' ? trainTimes(bench) : inferTimes(bench));
  const med = median(timed.times);
  return {
    ...a,
    examplesPerS: a.batch / med,
    medianStepS: med,
    sparseLayers: timed.sparseLayers,
    prunableLayers: model.specs.filter((s) => s.prunable).length,
    maxRssMB: rssMB(),
  };
}

if (isMain(import.meta.url) && process.argv[2] === SPARSE_WORKER_FLAG)
  process.stdout.write(
    JSON.stringify(await measureSparse(JSON.parse(process.argv[3]!) as SparseWorkerArgs)) + '\n',
  );

/**
 * What `sprig bench --sparse` measures, in which order: per network its mask distribution, default
 * densities and step counts, and the interleaved list of measurements (one process each).
 */
import type { BenchNet } from './nets.js';
import { BENCH_NETS } from './nets.js';

export type Distribution = 'uniform' | 'erk';
export type Mode = 'train' | 'infer';
/** Who runs a measurement: sprig's sparse engine or dense network, PyTorch masked-dense/dense or CSR. */
export type Engine = 'sprigSparse' | 'sprigDense' | 'pytorch' | 'pytorchCsr';
export interface Steps {
  warmup: number;
  steps: number;
}
export interface SparseNetPlan {
  /** sprig's masks: uniform on every layer, or ERK (RigL) at the overall density. */
  distribution: Distribution;
  /** Densities measured when --densities is not given. */
  densities: number[];
  train: Steps;
  /** Per inference batch size. */
  infer: Record<number, Steps>;
}

export const DEFAULT_DENSITIES = [1, 0.2, 0.1, 0.05, 0.02];
export const INFER_BATCHES = [1, 64];

/**
 * LeNet-300-100's steps take about a millisecond, so it runs hundreds (V8 optimises the step's
 * JavaScript for the first few hundred). A conv net's training step takes 0.1-1.5 s, so a few
 * warm-up and 8-25 timed steps keep one measurement within about 5-15 s; the conv nets default to
 * dense and the issue's target density (90 %, VGG-16 95 %) to keep the full run near 20 minutes.
 */
export const SPARSE_NETS: Record<BenchNet, SparseNetPlan> = {
  lenet300: {
    distribution: 'uniform',
    densities: DEFAULT_DENSITIES,
    train: { warmup: 300, steps: 300 },
    infer: { 1: { warmup: 200, steps: 400 }, 64: { warmup: 200, steps: 400 } },
  },
  lenet5: {
    distribution: 'erk',
    densities: DEFAULT_DENSITIES,
    train: { warmup: 100, steps: 200 },
    infer: { 1: { warmup: 100, steps: 400 }, 64: { warmup: 50, steps: 200 } },
  },
  conv4: {
    distribution: 'erk',
    densities: [1, 0.1],
    train: { warmup: 5, steps: 25 },
    infer: { 1: { warmup: 20, steps: 200 }, 64: { warmup: 5, steps: 30 } },
  },
  resnet20: {
    distribution: 'erk',
    densities: [1, 0.1],
    train: { warmup: 5, steps: 20 },
    infer: { 1: { warmup: 20, steps: 100 }, 64: { warmup: 5, steps: 30 } },
  },
  vgg16: {
    distribution: 'erk',
    densities: [1, 0.05],
    train: { warmup: 3, steps: 8 },
    infer: { 1: { warmup: 10, steps: 50 }, 64: { warmup: 3, steps: 10 } },
  },
};

/** One (network, mode, batch) with its mask distribution and step counts. */
export interface SparseCase extends Steps {
  net: BenchNet;
  mode: Mode;
  batch: number;
  distribution: Distribution;
  densities: number[];
}
export interface SparseJob extends SparseCase {
  rep: number;
  density: number;
  engine: Engine;
}

export interface PlanOptions {
  nets?: BenchNet[];
  /** For every network; default SPARSE_NETS' per network. */
  densities?: number[];
  reps?: number;
  /** Run the training rows (default true) and the inference rows (default true). */
  train?: boolean;
  infer?: boolean;
  /** Inference batch sizes; default 1 and 64. */
  inferBatches?: number[];
  /** Timed and warm-up steps for every measurement; default SPARSE_NETS' per network and mode. */
  steps?: number;
  warmup?: number;
}

/** Step counts of an inference batch that SPARSE_NETS does not list: those of its nearest batch. */
function inferSteps(plan: SparseNetPlan, batch: number): Steps {
  const known = Object.keys(plan.infer).map(Number);
  const near = known.reduce((a, b) => (Math.abs(b - batch) < Math.abs(a - batch) ? b : a));
  return plan.infer[near]!;
}

export function sparseCases(o: PlanOptions): SparseCase[] {
  const cases: SparseCase[] = [];
  for (const net of o.nets ?? ['lenet300']) {
    const plan = SPARSE_NETS[net];
    const base = { net, distribution: plan.distribution, densities: o.densities ?? plan.densities };
    const over = (s: Steps): Steps => ({ warmup: o.warmup ?? s.warmup, steps: o.steps ?? s.steps });
    if (o.train ?? true)
      cases.push({ ...base, mode: 'train', batch: BENCH_NETS[net].batch, ...over(plan.train) });
    if (o.infer ?? true)
      for (const batch of o.inferBatches ?? INFER_BATCHES)
        cases.push({ ...base, mode: 'infer', batch, ...over(inferSteps(plan, batch)) });
  }
  return cases;
}

/**
 * The measurements in run order. Each repetition runs sprig's dense network once per case (every
 * density compares against it), then per density sprig's sparse engine and PyTorch, alternating
 * who goes first so neither always runs right after the other; at density 1 sprig's sparse figure
 * is its dense one.
 */
export function sparseJobs(cases: SparseCase[], reps: number): SparseJob[] {
  const jobs: SparseJob[] = [];
  for (let rep = 0; rep < reps; rep++)
    for (const c of cases) {
      jobs.push({ ...c, rep, density: 1, engine: 'sprigDense' });
      c.densities.forEach((density, i) => {
        const sprig: Engine[] = density < 1 ? ['sprigSparse'] : [];
        const torch: Engine[] = c.mode === 'infer' && density < 1 ? ['pytorch', 'pytorchCsr'] : ['pytorch'];
        const order = (rep + i) % 2 === 0 ? [...sprig, ...torch] : [...torch, ...sprig];
        for (const engine of order) jobs.push({ ...c, rep, density, engine });
      });
    }
  return jobs;
}

/**
 * LeNet-300-100 training step at one density: dense, sparse engine, masked-dense, interleaved in one
 * process, medians: `npx tsx bench/sparse-step.ts [density] [batch]`. With SPRIG_PROFILE=1 also
 * the time per kernel of the sparse step (TF.js's profiler).
 */
import { tf } from '../src/engine/index.js';
import { createModel } from '../src/models/registry.js';
import { train } from '../src/training/loop.js';
import { Rng } from '../src/util/rng.js';
import { randomMasks } from '../src/sparsity/index.js';
import { setSparseEngine } from '../src/engine/kernels/sparse-engine.js';

const density = Number(process.argv[2] ?? 0.1);
const B = Number(process.argv[3] ?? 128);
const shape: [number, number, number] = [28, 28, 1];
const rng = new Rng(0);
const x = Float32Array.from({ length: B * 784 }, () => rng.normal());
const y = Int32Array.from({ length: B }, () => rng.nextU32() % 10);
const batch = { x, y, n: B };

function stepTime(kind: 'dense' | 'sparse' | 'masked', steps: number): number {
  const model = createModel('mnist_lenet_300_100', shape, 10);
  const densities = new Map(model.specs.filter((s) => s.prunable).map((s) => [s.name, density]));
  const masks = kind === 'dense' ? undefined : randomMasks(model.specs, densities, new Rng(1));
  setSparseEngine(kind === 'sparse' ? 'auto' : 'off');
  const times: number[] = [];
  let last = performance.now();
  train({
    model,
    source: { next: () => batch, state: () => 0, load: () => {} },
    test: { x: x.subarray(0, 784), y: y.subarray(0, 1), n: 1 },
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
    totalSteps: steps,
    itersPerEpoch: 1e9,
    seed: 0,
    sparse: masks ? { masks } : undefined,
    callbacks: {
      onStep: () => {
        const now = performance.now();
        times.push(now - last);
        last = now;
      },
    },
  });
  const t = times.slice(steps / 2).sort((a, b) => a - b);
  return t[t.length >> 1]!;
}

const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const r = { dense: [] as number[], sparse: [] as number[], masked: [] as number[] };
for (let i = 0; i < 7; i++)
  for (const k of ['dense', 'sparse', 'masked'] as const) r[k].push(stepTime(k, 400));
const [d, s, m] = [med(r.dense), med(r.sparse), med(r.masked)];
console.log(
  `LeNet-300-100 batch ${B} density ${density}: step dense ${(d * 1000).toFixed(0)} us, sparse ${(s * 1000).toFixed(0)} us, masked-dense ${(m * 1000).toFixed(0)} us; sparse speed-up ${(d / s).toFixed(2)}x over dense, ${(m / s).toFixed(2)}x over masked`,
);
if (process.env.SPRIG_PROFILE) {
  setSparseEngine('auto');
  const prof = await tf.profile(() => stepTime('sparse', 40));
  const by = new Map<string, number>();
  for (const k of prof.kernels) by.set(k.name, (by.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  console.log(
    [...by]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${((v / 40) * 1000).toFixed(0)} us`)
      .join(', '),
  );
}

/**
 * A conv net's whole training step at an ERK sparsity: dense, sparse engine (auto: each layer on
 * the sparse kernels where its measured break-even says so), and masked-dense, interleaved in one
 * process, medians: `npx tsx bench/sparse-conv-step.ts [conv4|resnet20|vgg16] [sparsity] [steps] [reps]`.
 */
import '../src/engine/index.js';
import { createModel } from '../src/models/registry.js';
import { train } from '../src/training/loop.js';
import { Rng } from '../src/util/rng.js';
import { layerDensities, randomMasks } from '../src/sparsity/index.js';
import { setSparseEngine } from '../src/engine/kernels/sparse-engine.js';

const NETS = {
  conv4: { model: 'cifar_conv4', batch: 60 },
  resnet20: { model: 'cifar_resnet_20', batch: 128 },
  vgg16: { model: 'cifar_vgg_16', batch: 128 },
} as const;
const net = (process.argv[2] ?? 'conv4') as keyof typeof NETS;
const S = Number(process.argv[3] ?? 0.9);
const steps = Number(process.argv[4] ?? 10);
const reps = Number(process.argv[5] ?? 3);
const { model: name, batch: B } = NETS[net];
const shape: [number, number, number] = [32, 32, 3];
const rng = new Rng(0);
const x = Float32Array.from({ length: B * 32 * 32 * 3 }, () => rng.normal());
const y = Int32Array.from({ length: B }, () => rng.nextU32() % 10);
const batch = { x, y, n: B };
let report = '';

function stepTime(kind: 'dense' | 'sparse' | 'masked'): number {
  const model = createModel(name, shape, 10);
  const densities = layerDensities(model.specs, { distribution: 'erk', sparsity: S } as Parameters<
    typeof layerDensities
  >[1]);
  const masks = kind === 'dense' ? undefined : randomMasks(model.specs, densities, new Rng(1));
  setSparseEngine(kind === 'sparse' ? 'auto' : 'off');
  const times: number[] = [];
  let last = performance.now();
  const res = train({
    model,
    source: { next: () => batch, state: () => 0, load: () => {} },
    test: { x: x.subarray(0, 32 * 32 * 3), y: y.subarray(0, 1), n: 1 },
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
  if (kind === 'sparse')
    report = (res.sparseLayers ?? []).map((l) => `${l.layer} ${l.density.toFixed(3)} ${l.engine}`).join(', ');
  const t = times.slice(Math.floor(steps / 2)).sort((a, b) => a - b);
  return t[t.length >> 1]!;
}

const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const r = { dense: [] as number[], sparse: [] as number[], masked: [] as number[] };
for (let i = 0; i < reps; i++) for (const k of ['dense', 'sparse', 'masked'] as const) r[k].push(stepTime(k));
const [d, s, m] = [med(r.dense), med(r.sparse), med(r.masked)];
console.log(`layers: ${report}`);
console.log(
  `${net} batch ${B} ERK sparsity ${S}: step dense ${d.toFixed(0)} ms, sparse ${s.toFixed(0)} ms, masked-dense ${m.toFixed(0)} ms; sparse speed-up ${(d / s).toFixed(2)}x over dense, ${(m / s).toFixed(2)}x over masked (medians of ${reps})`,
);

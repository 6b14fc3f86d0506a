/**
 * A conv net's whole training step at an ERK sparsity: dense, sparse engine (auto: each layer on
 * the sparse kernels where its measured break-even says so), and masked-dense, interleaved in one
 * process, medians: `npx tsx bench/sparse-conv-step.ts [conv4|resnet20|vgg16] [sparsity] [steps] [reps]`.
 * The steps are `sprig bench --sparse`'s (src/bench/sparse-worker.ts), with the engine switched per variant.
 */
import '../src/engine/index.js';
import { createModel } from '../src/models/registry.js';
import { setSparseEngine } from '../src/engine/kernels/sparse-engine.js';
import { randomBatch } from '../src/bench/dense-worker.js';
import { median } from '../src/bench/process.js';
import { benchMasks, trainTimes } from '../src/bench/sparse-worker.js';

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
const batch = await randomBatch(shape, B);
let report = '';

/** Median step time in ms over the second half of `steps` training steps. */
async function stepTime(kind: 'dense' | 'sparse' | 'masked'): Promise<number> {
  const model = createModel(name, shape, 10);
  const masks = kind === 'dense' ? undefined : await benchMasks(model, 1 - S, 'erk');
  setSparseEngine(kind === 'sparse' ? 'auto' : 'off');
  const warmup = Math.floor(steps / 2);
  const t = await trainTimes({ model, shape, b: batch, masks, warmup, steps: steps - warmup });
  if (kind === 'sparse') report = t.sparseLayers.join(', ');
  return median(t.times) * 1000;
}

const r = { dense: [] as number[], sparse: [] as number[], masked: [] as number[] };
for (let i = 0; i < reps; i++)
  for (const k of ['dense', 'sparse', 'masked'] as const) r[k].push(await stepTime(k));
const [d, s, m] = [median(r.dense), median(r.sparse), median(r.masked)];
console.log(`layers on the sparse kernels: ${report}`);
console.log(
  `${net} batch ${B} ERK sparsity ${S}: step dense ${d.toFixed(0)} ms, sparse ${s.toFixed(0)} ms, masked-dense ${m.toFixed(0)} ms; sparse speed-up ${(d / s).toFixed(2)}x over dense, ${(m / s).toFixed(2)}x over masked (medians of ${reps})`,
);

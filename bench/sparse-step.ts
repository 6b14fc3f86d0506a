/**
 * LeNet-300-100 training step at one density: dense, sparse engine, masked-dense, interleaved in one
 * process, medians: `npx tsx bench/sparse-step.ts [density] [batch]`. With SPRIG_PROFILE=1 also
 * the time per kernel of the sparse step (TF.js's profiler). The steps are `sprig bench --sparse`'s
 * (src/bench/sparse-worker.ts), with the engine switched per variant.
 */
import { tf } from '../src/engine/index.js';
import { createModel } from '../src/models/registry.js';
import { setSparseEngine } from '../src/engine/kernels/sparse-engine.js';
import { randomBatch } from '../src/bench/dense-worker.js';
import { median } from '../src/bench/process.js';
import { benchMasks, trainTimes } from '../src/bench/sparse-worker.js';

const density = Number(process.argv[2] ?? 0.1);
const B = Number(process.argv[3] ?? 128);
const shape: [number, number, number] = [28, 28, 1];
const batch = await randomBatch(shape, B);

/** Median step time in ms over the second half of `steps` training steps. */
async function stepTime(kind: 'dense' | 'sparse' | 'masked', steps: number): Promise<number> {
  const model = createModel('mnist_lenet_300_100', shape, 10);
  const masks = kind === 'dense' ? undefined : await benchMasks(model, density, 'uniform');
  setSparseEngine(kind === 'sparse' ? 'auto' : 'off');
  const half = steps / 2;
  const { times } = await trainTimes({ model, shape, b: batch, masks, warmup: half, steps: half });
  return median(times) * 1000;
}

const r = { dense: [] as number[], sparse: [] as number[], masked: [] as number[] };
for (let i = 0; i < 7; i++)
  for (const k of ['dense', 'sparse', 'masked'] as const) r[k].push(await stepTime(k, 400));
const [d, s, m] = [median(r.dense), median(r.sparse), median(r.masked)];
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

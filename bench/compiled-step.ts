/**
 * LeNet-300-100's training step, TF.js step against the compiled one (one native call per batch),
 * at densities 1, 0.3, 0.1 and 0.02 (uniform masks, the sparse engine on `auto`), with PyTorch's
 * masked-dense step (torch_reference.py) beside them: every variant once per repetition,
 * interleaved, medians. `npx tsx bench/compiled-step.ts [reps] [batch]` prints a markdown table.
 * Each sprig figure is the median step of 300 after 300 warm-up steps (SGD, momentum 0.9).
 */
import { execFileSync } from 'node:child_process';
import { createModel } from '../src/models/registry.js';
import { randomBatch } from '../src/bench/dense-worker.js';
import { median } from '../src/bench/process.js';
import { benchMasks, trainTimes } from '../src/bench/sparse-worker.js';

const reps = Number(process.argv[2] ?? 5);
const B = Number(process.argv[3] ?? 60);
const densities = [1, 0.3, 0.1, 0.02];
const shape: [number, number, number] = [28, 28, 1];
const batch = await randomBatch(shape, B);
const TORCH = '/work/shared/bench/torch_reference.py';

/** Examples per second of sprig's step on one engine. */
async function sprig(engine: 'tfjs' | 'compiled', density: number): Promise<number> {
  const model = createModel('mnist_lenet_300_100', shape, 10);
  const masks = await benchMasks(model, density, 'uniform');
  const { times } = await trainTimes({ model, shape, b: batch, masks, warmup: 300, steps: 300, engine });
  return B / median(times);
}

/** PyTorch's masked-dense step (batch 60 is torch_reference.py's LeNet-300-100 batch). */
function torch(density: number): number {
  const out = execFileSync(
    '/usr/bin/python3',
    [
      TORCH,
      'train',
      'lenet300',
      '--steps',
      '300',
      '--warmup',
      '300',
      '--threads',
      '1',
      '--density',
      String(density),
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!).examplesPerS as number;
}

const r = new Map(
  densities.map((d) => [d, { tfjs: [] as number[], compiled: [] as number[], torch: [] as number[] }]),
);
for (let i = 0; i < reps; i++)
  for (const d of densities) {
    const x = r.get(d)!;
    x.tfjs.push(await sprig('tfjs', d));
    x.compiled.push(await sprig('compiled', d));
    if (B === 60) x.torch.push(torch(d));
  }
const med = (d: number) => {
  const x = r.get(d)!;
  return { t: median(x.tfjs), c: median(x.compiled), p: x.torch.length ? median(x.torch) : NaN };
};
const dense = med(1);
console.log(
  `LeNet-300-100 training step, batch ${B}, examples/s, medians of ${reps} interleaved repetitions\n`,
);
console.log(
  '| density | TF.js step | compiled | PyTorch | compiled / TF.js | compiled / PyTorch | ×dense TF.js | ×dense compiled |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const d of densities) {
  const { t, c, p } = med(d);
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');
  console.log(
    `| ${d} | ${t.toFixed(0)} | ${c.toFixed(0)} | ${Number.isFinite(p) ? p.toFixed(0) : '-'} | ${f(c / t)} | ${f(c / p)} | ${f(t / dense.t)} | ${f(c / dense.c)} |`,
  );
}

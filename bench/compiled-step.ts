/**
 * LeNet-300-100's training step, TF.js step against the compiled one (one native call per batch),
 * at densities 1, 0.3, 0.1 and 0.02 (uniform masks, the sparse engine on `auto`), with PyTorch's
 * masked-dense step (torch_reference.py) beside them: every variant once per repetition,
 * interleaved, medians. `npx tsx bench/compiled-step.ts [reps] [batch] [steps]` prints a markdown
 * table. Each sprig figure is the median step of `steps` after as many warm-up steps (SGD, momentum
 * 0.9), in wall time, and the CPU time of those steps per step (process.cpuUsage), which a machine
 * busy with other processes inflates far less (run with SPRIG_THREADS=1 so that it counts no
 * spinning second thread; PyTorch runs on one thread and reports wall time only).
 */
import { execFileSync } from 'node:child_process';
import { createModel } from '../src/models/registry.js';
import { randomBatch } from '../src/bench/dense-worker.js';
import { median } from '../src/bench/process.js';
import { benchMasks, trainTimes } from '../src/bench/sparse-worker.js';

const reps = Number(process.argv[2] ?? 5);
const B = Number(process.argv[3] ?? 60);
const STEPS = Number(process.argv[4] ?? 300);
const densities = [1, 0.3, 0.1, 0.02];
const shape: [number, number, number] = [28, 28, 1];
const batch = await randomBatch(shape, B);
const TORCH = '/work/shared/bench/torch_reference.py';

/** Examples per second of sprig's step on one engine: by the median wall step, and per CPU second. */
async function sprig(engine: 'tfjs' | 'compiled', density: number): Promise<[number, number]> {
  const model = createModel('mnist_lenet_300_100', shape, 10);
  const masks = await benchMasks(model, density, 'uniform');
  const t0 = process.cpuUsage();
  const { times } = await trainTimes({ model, shape, b: batch, masks, warmup: STEPS, steps: STEPS, engine });
  const cpu = process.cpuUsage(t0);
  // the CPU time covers the warm-up too: both halves are the same steps
  return [B / median(times), (B * 2 * STEPS) / ((cpu.user + cpu.system) / 1e6)];
}

/** PyTorch's masked-dense step (batch 60 is torch_reference.py's LeNet-300-100 batch). */
function torch(density: number): number {
  const args = ['train', 'lenet300', '--steps', String(STEPS), '--warmup', String(STEPS)];
  const out = execFileSync(
    '/usr/bin/python3',
    [TORCH, ...args, '--threads', '1', '--density', String(density)],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!).examplesPerS as number;
}

type Row = Record<'tfjs' | 'compiled' | 'tfjsCpu' | 'compiledCpu' | 'torch', number[]>;
const r = new Map<number, Row>(
  densities.map((d) => [d, { tfjs: [], compiled: [], tfjsCpu: [], compiledCpu: [], torch: [] }]),
);
for (let i = 0; i < reps; i++)
  for (const d of densities) {
    const x = r.get(d)!;
    const [t, tc] = await sprig('tfjs', d);
    const [c, cc] = await sprig('compiled', d);
    x.tfjs.push(t);
    x.tfjsCpu.push(tc);
    x.compiled.push(c);
    x.compiledCpu.push(cc);
    if (B === 60) x.torch.push(torch(d));
  }
const med = (d: number) => {
  const x = r.get(d)!;
  const m = (v: number[]) => (v.length ? median(v) : NaN);
  return { t: m(x.tfjs), c: m(x.compiled), tc: m(x.tfjsCpu), cc: m(x.compiledCpu), p: m(x.torch) };
};
const dense = med(1);
const f = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');
const n = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '-');
console.log(
  `LeNet-300-100 training step, batch ${B}, examples/s (wall: by the median step; CPU: per CPU second), ` +
    `medians of ${reps} interleaved repetitions, ${STEPS} + ${STEPS} steps, sprig threads: ${process.env.SPRIG_THREADS ?? 'all'}\n`,
);
console.log(
  '| density | TF.js wall | compiled wall | PyTorch wall | compiled / TF.js wall | compiled / PyTorch wall | TF.js CPU | compiled CPU | compiled / TF.js CPU | ×dense TF.js CPU | ×dense compiled CPU |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const d of densities) {
  const { t, c, tc, cc, p } = med(d);
  console.log(
    `| ${d} | ${n(t)} | ${n(c)} | ${n(p)} | ${f(c / t)} | ${f(c / p)} | ${n(tc)} | ${n(cc)} | ${f(cc / tc)} | ${f(tc / dense.tc)} | ${f(cc / dense.cc)} |`,
  );
}

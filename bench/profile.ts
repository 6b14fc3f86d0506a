/**
 * Per-kernel time profile of training steps of the registry's models through the real training
 * loop: `npx tsx bench/profile.ts NET [steps]` (NET: lenet300, lenet5, conv4, resnet20).
 * Wraps every registered CPU kernel with a timer (adds ~1 µs per call).
 */
import { tf } from '../src/engine/index.js';
import { measureTrain } from '../src/bench/dense-worker.js';
import type { BenchNet } from '../src/bench/nets.js';

const name = (process.argv[2] ?? 'lenet300') as BenchNet;
const steps = Number(process.argv[3] ?? 10);
const warmup = 3;
const totals = new Map<string, { ms: number; n: number }>();
let on = false;
let calls = 0;
for (const cfg of tf.getKernelsForBackend('cpu')) {
  const f = cfg.kernelFunc;
  tf.unregisterKernel(cfg.kernelName, 'cpu');
  tf.registerKernel({
    ...cfg,
    kernelFunc: (args) => {
      calls++;
      if (!on) return f(args);
      const t0 = performance.now();
      const r = f(args);
      const e = totals.get(cfg.kernelName) ?? { ms: 0, n: 0 };
      e.ms += performance.now() - t0;
      e.n++;
      totals.set(cfg.kernelName, e);
      return r;
    },
  });
}
// Untimed warm-up run, then a timed one (kernel times per step divide by steps + 1: measureTrain's
// train() also runs one evaluation pass).
await measureTrain(name, warmup, 0);
on = true;
calls = 0;
const res = { r: await measureTrain(name, steps, 0) };
const step = steps;
const wall = Number(res.r.medianStepS) * 1000;
const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms);
const kern = rows.reduce((a, r) => a + r[1].ms, 0) / (step + 1);
console.log(
  `${name}: median ${wall.toFixed(2)} ms/step, ${Number(res.r.examplesPerS).toFixed(0)} ex/s; kernels ${kern.toFixed(2)} ms/step, ${(calls / (step + 1)).toFixed(0)} kernel calls/step`,
);
for (const [k, v] of rows.slice(0, 25)) {
  console.log(
    `${k.padEnd(26)} ${(v.ms / (step + 1)).toFixed(3).padStart(9)} ms  ${(v.n / (step + 1)).toFixed(0).padStart(4)} calls  ${((100 * v.ms) / (step + 1) / wall).toFixed(1)}%`,
  );
}

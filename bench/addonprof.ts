// Time spent in each native addon function during training steps of a registry model, through the
// real training loop (includes the gradient passes that run inside gradFuncs, which bench/profile.ts
// does not see): `SPRIG_THREADS=1 npx tsx bench/addonprof.ts NET [steps]`.
import { createRequire } from 'node:module';
import { tf } from '../src/engine/index.js';
import { addonPath } from '../src/engine/native.js';
import { measureTrain } from '../src/bench/dense-worker.js';
import type { BenchNet } from '../src/bench/nets.js';
const name = (process.argv[2] ?? 'resnet20') as BenchNet;
const steps = Number(process.argv[3] ?? 5);
const addon = createRequire(import.meta.url)(addonPath()) as Record<string, (...a: unknown[]) => unknown>;
const totals = new Map<string, { ms: number; n: number }>();
let on = false;
for (const k of Object.keys(addon)) {
  const f = addon[k]!;
  addon[k] = (...a: unknown[]) => {
    if (!on) return f(...a);
    const t0 = performance.now();
    const r = f(...a);
    const e = totals.get(k) ?? { ms: 0, n: 0 };
    e.ms += performance.now() - t0;
    e.n++;
    totals.set(k, e);
    return r;
  };
}
void tf;
await measureTrain(name, 3, 0);
on = true;
const r = await measureTrain(name, steps, 0);
const wall = Number(r.medianStepS) * 1000;
let sum = 0;
for (const [k, v] of [...totals].sort((a, b) => b[1].ms - a[1].ms)) {
  sum += v.ms;
  console.log(
    `${k.padEnd(20)} ${(v.ms / (steps + 1)).toFixed(2).padStart(8)} ms ${(v.n / (steps + 1)).toFixed(0).padStart(4)} calls`,
  );
}
console.log(
  `${name}: median ${wall.toFixed(1)} ms/step; addon total ${(sum / (steps + 1)).toFixed(1)} ms/step`,
);

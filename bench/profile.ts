/** Per-kernel time profile of a training step: `npx tsx bench/profile.ts NET [steps]`. */
import { tf } from '../src/engine/index.js';
import { benchNet, makeStep } from './nets.js';

const name = process.argv[2] ?? 'lenet300';
const steps = Number(process.argv[3] ?? 5);
const totals = new Map<string, { ms: number; n: number }>();
for (const cfg of tf.getKernelsForBackend('cpu')) {
  const f = cfg.kernelFunc;
  tf.unregisterKernel(cfg.kernelName, 'cpu');
  tf.registerKernel({ ...cfg, kernelFunc: (args) => {
    const t0 = performance.now();
    const r = f(args);
    const e = totals.get(cfg.kernelName) ?? { ms: 0, n: 0 };
    e.ms += performance.now() - t0; e.n++;
    totals.set(cfg.kernelName, e);
    return r;
  } });
}
const net = benchNet(name);
const s = makeStep(net);
s.step();
totals.clear();
const t0 = performance.now();
for (let i = 0; i < steps; i++) s.step();
const wall = (performance.now() - t0) / steps;
const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms);
const kern = rows.reduce((a, r) => a + r[1].ms, 0) / steps;
console.log(`${name}: ${wall.toFixed(2)} ms/step (kernels ${kern.toFixed(2)} ms, other ${(wall - kern).toFixed(2)} ms), ${(net.batch / wall * 1000).toFixed(0)} ex/s`);
for (const [k, v] of rows.slice(0, 25)) console.log(`${k.padEnd(24)} ${(v.ms / steps).toFixed(3).padStart(9)} ms  ${(v.n / steps).toFixed(0).padStart(4)} calls  ${(100 * v.ms / steps / wall).toFixed(1)}%`);

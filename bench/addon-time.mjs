// Where a whole sprig run spends its native time: a preload that times every call into the native
// addon, by function and (for the sparse fully-connected kernels) by batch × in × out, and prints
// the totals when the process exits. Per layer, so it is the profile behind the sparse-speed notes:
//   node --import ./bench/addon-time.mjs dist/cli/main.js dst --method set --sparsity 0.9 --quiet
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const path = process.env.SPRIG_NATIVE_PATH ?? join(root, 'native', 'build', 'Release', 'sprig_native.node');
const addon = createRequire(import.meta.url)(path);
const totals = new Map();
// the sparse kernels' first run of numeric arguments: batch, in, out (sparseGradOut: batch, out)
const dims = (args) => {
  const i = args.findIndex((v, j) => j >= 2 && typeof v === 'number');
  const out = [];
  for (let j = i; i >= 0 && j < args.length && typeof args[j] === 'number' && out.length < 3; j++)
    out.push(args[j]);
  return out;
};

for (const [name, f] of Object.entries(addon)) {
  if (typeof f !== 'function') continue;
  addon[name] = (...args) => {
    const t0 = performance.now();
    const r = f(...args);
    const ms = performance.now() - t0;
    const shape = name.startsWith('sparse') ? `@${dims(args).join('x')}` : '';
    const e = totals.get(name + shape) ?? { ms: 0, n: 0 };
    e.ms += ms;
    e.n++;
    totals.set(name + shape, e);
    return r;
  };
}

process.on('exit', () => {
  const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms);
  const all = rows.reduce((s, [, v]) => s + v.ms, 0);
  const out = rows
    .filter(([, v]) => v.ms >= 10)
    .map(
      ([k, v]) =>
        `${k.padEnd(34)} ${v.ms.toFixed(0).padStart(7)} ms ${String(v.n).padStart(7)} calls ${((1000 * v.ms) / v.n).toFixed(1).padStart(8)} µs/call`,
    );
  process.stderr.write(
    `native time by kernel (calls ≥ 10 ms in all):\n${out.join('\n')}\nnative total ${all.toFixed(0)} ms\n`,
  );
});

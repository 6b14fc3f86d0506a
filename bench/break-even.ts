/**
 * The break-even density of a sparse fully-connected layer on this CPU: per layer shape and batch,
 * one training step of the layer (forward, dy's transpose, dx, dW; dense: the three products) on the
 * sparse kernels against the dense ones, over a grid of densities, medians of 7 × 50 calls, the two
 * interleaved. Prints the highest density at which sparse is faster (src/engine/kernels/sparse-engine.ts
 * keeps these as its defaults): `npx tsx bench/break-even.ts [batch] [train|infer]` (infer: the
 * forward alone, as in evaluation and `sprig predict`).
 */
import { engineStatus } from '../src/engine/index.js';
import { nativeAddon } from '../src/engine/native.js';
import { SparseStructure } from '../src/engine/kernels/sparse.js';
import { sparseAddon } from '../src/engine/kernels/sparse-addon.js';
import { Rng } from '../src/util/rng.js';

engineStatus();
const nat = sparseAddon();
const dn = nativeAddon();
if (!nat || !dn) throw new Error('the native addon is not loaded (npm run build:native)');
const B = Number(process.argv[2] ?? 128);
const infer = process.argv[3] === 'infer';
const SHAPES: [number, number][] = [
  [784, 300],
  [300, 100],
  [512, 512],
  [100, 10],
  [1024, 1024],
  [2048, 512],
];
const DENSITIES = [0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.07, 0.05, 0.03, 0.02, 0.01];
const rng = new Rng(0);

function timeBoth(a: () => void, b: () => void): [number, number] {
  for (let i = 0; i < 20; i++) {
    a();
    b();
  }
  const ta: number[] = [],
    tb: number[] = [];
  for (let r = 0; r < 7; r++) {
    for (const [f, out] of [
      [a, ta],
      [b, tb],
    ] as const) {
      const t = performance.now();
      for (let i = 0; i < 50; i++) f();
      out.push(((performance.now() - t) / 50) * 1000);
    }
  }
  const med = (x: number[]) => x.sort((p, q) => p - q)[3]!;
  return [med(ta), med(tb)];
}

console.log(`isa ${nat.sparseIsa()}, batch ${B}: µs per layer step, sparse / dense`);
const found: Record<string, number> = {};
for (const [K, N] of SHAPES) {
  const x = Float32Array.from({ length: B * K }, () => rng.normal());
  const dy = Float32Array.from({ length: B * N }, () => rng.normal());
  const y = new Float32Array(B * N);
  const ld = Math.ceil(B / 16) * 16;
  const [xT, dyT, dx] = [new Float32Array(K * ld), new Float32Array(N * ld), new Float32Array(B * K)];
  const [dw, w] = [new Float32Array(K * N), new Float32Array(K * N)];
  const dense = () => {
    dn.matmul(y, x, w, null, { m: B, n: N, k: K, act: 1 });
    if (infer) return;
    dn.matmul(dx, dy, w, null, { m: B, n: K, k: N, transB: true });
    dn.matmul(dw, x, dy, null, { m: K, n: N, k: B, transA: true });
  };
  let best = 0;
  const cells: string[] = [];
  for (const d of DENSITIES) {
    const mask = Float32Array.from({ length: K * N }, () => (rng.next() < d ? 1 : 0));
    for (let i = 0; i < w.length; i++) w[i] = mask[i]! * rng.normal();
    const s = new SparseStructure(K, N, mask);
    // the compact copies of the active weights a layer's plan keeps (sparse.ts)
    const wIn = Float32Array.from(s.active, (i) => w[i]!);
    const wOut = new Float32Array(wIn.length);
    s.outSlot.forEach((q, j) => (wOut[q] = wIn[j]!));
    const sparse = () => {
      if (infer)
        return nat.sparseForward(y, x, w, null, s.outPtr, s.outIdx, s.inPtr, s.inIdx, null, wOut, wIn, {
          B,
          K,
          N,
          relu: true,
        });
      nat.sparseForward(y, x, w, null, s.outPtr, s.outIdx, s.inPtr, s.inIdx, xT, wOut, wIn, {
        B,
        K,
        N,
        relu: true,
      });
      nat.sparseGradOut(dyT, dy, y, { B, N });
      nat.sparseDx(dx, dyT, w, s.inPtr, s.inIdx, wIn, { B, K, N });
      nat.sparseDw(dw, xT, dyT, s.inPtr, s.inIdx, { B, K, N, xIsT: true, zero: false });
    };
    const [ts, td] = timeBoth(sparse, dense);
    cells.push(`${d}: ${ts.toFixed(0)}/${td.toFixed(0)}`);
    if (ts < td && d > best) best = d;
  }
  found[`${K}x${N}`] = best;
  console.log(`${K}x${N} (${K * N} weights) break-even ≈ ${best} | ${cells.join('  ')}`);
}
console.log(JSON.stringify({ batch: B, breakEven: found }));

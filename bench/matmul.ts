/**
 * Matrix-product implementations of the native addon side by side, on the shapes of LeNet-300-100 at
 * batch 60 (forward, dW and dx) and one larger product, at 1 and 2 threads:
 * `npx tsx bench/matmul.ts`. Prints the median µs and GFLOP/s of each implementation
 * (1 OpenBLAS single-threaded, 2 OpenBLAS split over OpenMP threads, 3 oneDNN sgemm).
 */
import { nativeAddon } from '../src/engine/native.js';
import '../src/engine/index.js';

const addon = nativeAddon();
if (!addon) throw new Error('the native addon is not loaded (npm run build:native)');
const shapes: [number, number, number, boolean, boolean][] = [
  [60, 300, 784, false, false],
  [784, 300, 60, true, false],
  [60, 100, 300, false, false],
  [300, 100, 60, true, false],
  [60, 300, 100, false, true],
  [128, 256, 1024, false, false],
];
const IMPLS = ['', 'blas1', 'split', 'sgemm', 'dnnl-mm'];
for (const threads of [1, 2]) {
  addon.setThreads(threads);
  for (const [M, N, K, ta, tb] of shapes) {
    const A = Float32Array.from({ length: M * K }, Math.random),
      B = Float32Array.from({ length: K * N }, Math.random),
      C = new Float32Array(M * N);
    const row: string[] = [];
    for (const impl of [1, 2, 3, 4]) {
      const f = () => addon.matmul(C, A, B, null, { m: M, n: N, k: K, transA: ta, transB: tb, impl });
      for (let i = 0; i < 20; i++) f();
      const ts: number[] = [];
      for (let r = 0; r < 5; r++) {
        const t0 = performance.now();
        for (let i = 0; i < 50; i++) f();
        ts.push((performance.now() - t0) / 50);
      }
      const t = ts.sort((x, y) => x - y)[2]!;
      row.push(
        `${IMPLS[impl]} ${(t * 1000).toFixed(0)} µs ${((2 * M * N * K) / t / 1e6).toFixed(0)} GFLOP/s`,
      );
    }
    console.log(`${threads} thr  M${M} N${N} K${K} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}: ${row.join(' | ')}`);
  }
}
addon.setThreads(0);

/**
 * Per-kernel profile of LeNet-300-100's sparse layers against the dense products they replace:
 * forward (transposes included), dy's transpose, dx, dW (SDDMM, reusing the forward's transposed
 * input), medians of 9 × 100 calls: `npx tsx bench/sparse-kernels.ts [batch] [density]`.
 */
import { engineStatus } from '../src/engine/index.js';
import { nativeAddon } from '../src/engine/native.js';
import { SparseStructure } from '../src/engine/kernels/sparse.js';
import { sparseAddon } from '../src/engine/kernels/sparse-addon.js';

engineStatus();
const nat = sparseAddon();
const dn = nativeAddon();
if (!nat || !dn) throw new Error('the native addon is not loaded (npm run build:native)');
const B = Number(process.argv[2] ?? 60),
  d = Number(process.argv[3] ?? 0.1);
const us = (f: () => void): string => {
  for (let i = 0; i < 50; i++) f();
  const r: number[] = [];
  for (let j = 0; j < 9; j++) {
    const t = performance.now();
    for (let i = 0; i < 100; i++) f();
    r.push((performance.now() - t) * 10);
  }
  return r.sort((a, b) => a - b)[4]!.toFixed(1);
};
console.log(`isa ${nat.sparseIsa()}, batch ${B}, density ${d}; microseconds per call`);
for (const [K, N] of [
  [784, 300],
  [300, 100],
] as const) {
  const mask = Float32Array.from({ length: K * N }, () => (Math.random() < d ? 1 : 0));
  const s = new SparseStructure(K, N, mask);
  const w = Float32Array.from(mask, (m) => m * Math.random());
  const x = Float32Array.from({ length: B * K }, () => Math.random());
  const y = new Float32Array(B * N);
  const dy = Float32Array.from(y, () => Math.random() - 0.5);
  const ld = Math.ceil(B / 16) * 16;
  const [xT, dyT] = [new Float32Array(K * ld), new Float32Array(N * ld)];
  const [dx, dw] = [new Float32Array(B * K), new Float32Array(K * N)];
  const fwd = () =>
    nat.sparseForward(y, x, w, null, s.outPtr, s.outIdx, s.inPtr, s.inIdx, xT, null, null, {
      B,
      K,
      N,
      relu: true,
    });
  fwd();
  console.log(
    `${K}x${N}: sparse fwd ${us(fwd)}, dyT ${us(() => nat.sparseGradOut(dyT, dy, y, { B, N }))}, ` +
      `dx ${us(() => nat.sparseDx(dx, dyT, w, s.inPtr, s.inIdx, null, { B, K, N }))}, ` +
      `dW ${us(() => nat.sparseDw(dw, xT, dyT, s.inPtr, s.inIdx, { B, K, N, xIsT: true, zero: false }))} | ` +
      `dense fwd ${us(() => dn.matmul(y, x, w, null, { m: B, n: N, k: K, act: 1 }))}, ` +
      `dx ${us(() => dn.matmul(dx, dy, w, null, { m: B, n: K, k: N, transB: true }))}, ` +
      `dW ${us(() => dn.matmul(dw, x, dy, null, { m: K, n: N, k: B, transA: true }))}`,
  );
}

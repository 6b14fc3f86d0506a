/**
 * Per-layer timing of the sparse fully-connected op against the dense layer (forward + all three
 * gradients) for LeNet-300-100's layers at batch 128, A/B interleaved, medians:
 * `npx tsx bench/sparse-layers.ts [density ...]`. Where the time of a sparse layer goes.
 */
import { tf } from '../src/engine/index.js';
import { denseLayer } from '../src/engine/native.js';
import { SparseStructure, createPlan, sparseDenseLayer } from '../src/engine/kernels/sparse.js';

const B = Number(process.env.BATCH ?? 128);
const layers: [number, number][] = [
  [784, 300],
  [300, 100],
  [100, 10],
];
const densities = process.argv.slice(2).map(Number);
if (densities.length === 0) densities.push(0.1, 0.02);

function time(fn: () => void, reps: number): number {
  fn();
  const t = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return ((performance.now() - t) / reps) * 1000;
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

for (const d of densities)
  for (const [K, N] of layers) {
    const mask = Float32Array.from({ length: K * N }, () => (Math.random() < d ? 1 : 0));
    const x = tf.randomNormal([B, K]) as tf.Tensor2D;
    const w = tf.tensor2d(
      Float32Array.from(mask, (m) => m * (Math.random() - 0.5)),
      [K, N],
    );
    const b = tf.zeros([N]) as tf.Tensor1D;
    const plan = createPlan(new SparseStructure(K, N, mask));
    const step = (layer: typeof denseLayer) => () =>
      tf.tidy(() => {
        const g = tf.grads((xx, ww, bb) => tf.sum(layer(xx as tf.Tensor2D, ww as tf.Tensor2D, bb, 'relu')))([
          x,
          w,
          b,
        ]);
        g.forEach((t) => t.dataSync());
      });
    const fwd = (layer: typeof denseLayer) => () => tf.tidy(() => void layer(x, w, b, 'relu').dataSync());
    const sp = (xx: tf.Tensor2D, ww: tf.Tensor2D, bb: tf.Tensor | undefined, a: 'relu' | 'linear') =>
      sparseDenseLayer(xx, ww, bb, a, plan);
    const r = { df: [] as number[], sf: [] as number[], dt: [] as number[], st: [] as number[] };
    for (let i = 0; i < 7; i++) {
      r.df.push(time(fwd(denseLayer), 50));
      r.sf.push(time(fwd(sp), 50));
      r.dt.push(time(step(denseLayer), 50));
      r.st.push(time(step(sp), 50));
    }
    const [df, sf, dt, st] = [median(r.df), median(r.sf), median(r.dt), median(r.st)];
    console.log(
      `d=${d} ${K}x${N} B=${B}: fwd dense ${df.toFixed(1)} us sparse ${sf.toFixed(1)} us (${(df / sf).toFixed(2)}x); ` +
        `fwd+bwd dense ${dt.toFixed(1)} us sparse ${st.toFixed(1)} us (${(dt / st).toFixed(2)}x)`,
    );
  }

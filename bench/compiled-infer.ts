/**
 * LeNet-300-100's inference latency at batch 1 and 64, densities 1 and 0.1 (random 90 % of each
 * hidden kernel zeroed): an exported model loaded by `loadExport` predicting compiled (one native
 * call per batch, the default) against the same file on TF.js (SPRIG_INFER_ENGINE=tfjs, the
 * LayersModel graph) and against sprig's own TF.js forward with the sparse engine on `auto`
 * (`sprig predict`'s TF.js path). Every variant once per repetition, interleaved; each figure is the
 * median of `steps` calls after as many warm-up calls, then the median over repetitions.
 * `npx tsx bench/compiled-infer.ts [reps] [steps]` prints a markdown table.
 */
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { tf } from '../src/engine/index.js';
import { createModel } from '../src/models/registry.js';
import { exportModel } from '../src/export/model.js';
import { loadExport } from '../src/export/load.js';
import { inferenceEngineOf } from '../src/export/compiled-predict.js';
import { layersModelOf, setLayersWeights } from '../src/export/tfjs.js';
import { bindSparseLayers } from '../src/engine/index.js';
import { median } from '../src/bench/process.js';
import { Rng } from '../src/util/rng.js';

const reps = Number(process.argv[2] ?? 5);
const STEPS = Number(process.argv[3] ?? 200);
const SHAPE: [number, number, number] = [28, 28, 1];
const densities = [1, 0.1];
const batches = [1, 64];
const VARIANTS = ['compiled', 'layers', 'forward'] as const;
type Variant = (typeof VARIANTS)[number];

/** The model's weights, the hidden kernels' zeros at 1 − density, exported and loaded both ways. */
async function variants(density: number): Promise<Record<Variant, (x: tf.Tensor) => void>> {
  const m = createModel('mnist_lenet_300_100', SHAPE, 10);
  const rng = new Rng(1);
  const weights = m.init(rng);
  for (const s of m.specs)
    if (s.prunable) weights.get(s.name)!.forEach((_, i, a) => rng.next() >= density && (a[i] = 0));
  const lm = await layersModelOf(m);
  setLayersWeights(lm, { weights, bnStats: new Map() });
  const out = join(mkdtempSync(join(tmpdir(), 'sprig-bench-')), 'model');
  await exportModel(lm, { format: 'tfjs', out });
  const compiled = await loadExport(out);
  if (inferenceEngineOf(compiled)?.engine !== 'compiled')
    throw new Error(`not compiled: ${inferenceEngineOf(compiled)?.reason}`);
  process.env.SPRIG_INFER_ENGINE = 'tfjs';
  const layers = await loadExport(out);
  delete process.env.SPRIG_INFER_ENGINE;
  const vars = new Map(m.specs.map((s) => [s.name, tf.tensor(weights.get(s.name)!, s.shape)] as const));
  const masks = new Map(
    m.specs.filter((s) => s.prunable).map((s) => [s.name, weights.get(s.name)!.map((v) => (v ? 1 : 0))]),
  );
  if (density < 1) bindSparseLayers(vars, masks);
  const params = Object.fromEntries(vars);
  const run = (f: (x: tf.Tensor) => tf.Tensor) => (x: tf.Tensor) => tf.tidy(() => void f(x).dataSync());
  return {
    compiled: run((x) => compiled.predict(x) as tf.Tensor),
    layers: run((x) => layers.predict(x) as tf.Tensor),
    forward: run((x) => m.forward(params, x as tf.Tensor4D, false)),
  };
}

function timeOf(f: (x: tf.Tensor) => void, x: tf.Tensor): number {
  for (let i = 0; i < STEPS; i++) f(x);
  const t: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    f(x);
    t.push(performance.now() - t0);
  }
  return median(t);
}

const rng = new Rng(2);
const inputs = new Map(
  batches.map((b) => [
    b,
    tf.tensor4d(
      Float32Array.from({ length: b * 784 }, () => rng.next()),
      [b, ...SHAPE],
    ),
  ]),
);
const models = new Map<number, Awaited<ReturnType<typeof variants>>>();
for (const d of densities) models.set(d, await variants(d));
const times = new Map<string, number[]>();
for (let r = 0; r < reps; r++)
  for (const d of densities)
    for (const b of batches)
      for (const v of VARIANTS) {
        const key = `${d}/${b}/${v}`;
        times.set(key, [...(times.get(key) ?? []), timeOf(models.get(d)![v], inputs.get(b)!)]);
      }
const ms = (d: number, b: number, v: Variant) => median(times.get(`${d}/${b}/${v}`)!);
console.log(
  `LeNet-300-100 inference, ms per batch (median of ${STEPS} calls after ${STEPS} warm-up, median of ${reps} interleaved repetitions), sprig threads: ${process.env.SPRIG_THREADS ?? 'all'}\n`,
);
console.log(
  '| density | batch | compiled | TF.js LayersModel | TF.js sprig forward | LayersModel / compiled | forward / compiled |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const d of densities)
  for (const b of batches) {
    const [c, l, f] = VARIANTS.map((v) => ms(d, b, v));
    console.log(
      `| ${d} | ${b} | ${c!.toFixed(3)} | ${l!.toFixed(3)} | ${f!.toFixed(3)} | ${(l! / c!).toFixed(2)}× | ${(f! / c!).toFixed(2)}× |`,
    );
  }

/**
 * `sprig predict RUN`: a finished run's test accuracy and its inference speed at batch 1 and 64, on
 * the sparse engine (masked dense layers on the sparse kernels) against the same weights run dense,
 * interleaved, medians. The run's stored weights and masks are used as they are.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { bindSparseLayers, setSparseEngine, sparseEngineMode, sparseReport, tf } from '../engine/index.js';
import { trainHparamsSchema, validate } from '../experiments/hparams.js';
import { setup } from '../experiments/setup.js';
import { loadWeights } from '../experiments/run.js';
import { artifactPath, readJson } from '../store/artifacts.js';
import { finishedResult } from '../store/verify.js';
import { evaluate } from '../training/evaluate.js';
import { defaultRoot } from '../store/store.js';
import { SprigError } from '../util/errors.js';
import { emit, pct, table } from './output.js';

export interface PredictResult {
  run: string;
  testAccuracy: number;
  sparseLayers: { layer: string; density: number; engine: string }[];
  latency: { batch: number; sparseMs: number; denseMs: number; speedup: number }[];
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[(v.length - 1) >> 1]!;

export function predictRun(dir: string, batches: number[], steps: number): PredictResult {
  const weightsPath = artifactPath(dir, 'weights');
  const raw = existsSync(weightsPath) && readJson<Record<string, unknown>>(artifactPath(dir, 'hparams'));
  if (!raw || !finishedResult(dir))
    throw new SprigError(
      `no finished run at ${dir}`,
      'pass a run directory or run id (sprig runs lists them)',
    );
  const hp = validate(trainHparamsSchema, { dataset: raw.dataset, model: raw.model, training: raw.training });
  const s = setup(hp);
  const stored = loadWeights(weightsPath);
  for (const [n, st] of stored.bnStats) s.model.bnStats.get(n)?.mean.set(st.mean);
  for (const [n, st] of stored.bnStats) s.model.bnStats.get(n)?.variance.set(st.variance);
  const vars = new Map(
    s.model.specs.map((p) => [p.name, tf.tensor(stored.weights.get(p.name)!, p.shape)] as const),
  );
  const unbind = stored.masks ? bindSparseLayers(vars, stored.masks) : () => {};
  const params = Object.fromEntries(vars);
  const before = sparseEngineMode();
  try {
    const testAccuracy = evaluate(s.model, () => params, s.dataset.test).accuracy;
    const [h, w, c] = s.dataset.inputShape;
    const size = h * w * c;
    const latency = batches.map((batch) => {
      const x = tf.tensor4d(s.dataset.test.x.subarray(0, batch * size), [batch, h, w, c]);
      const time = (mode: string) => {
        setSparseEngine(mode);
        const t: number[] = [];
        for (let i = 0; i < steps; i++) {
          const t0 = performance.now();
          tf.tidy(() => void s.model.forward(params, x, false).dataSync());
          t.push(performance.now() - t0);
        }
        return median(t.slice(steps >> 2));
      };
      const sp: number[] = [],
        dn: number[] = [];
      for (let r = 0; r < 5; r++) {
        sp.push(time(before === 'off' ? 'on' : before));
        dn.push(time('off'));
      }
      x.dispose();
      const [sparseMs, denseMs] = [median(sp), median(dn)];
      return { batch, sparseMs, denseMs, speedup: denseMs / sparseMs };
    });
    setSparseEngine(before);
    return { run: dir, testAccuracy, sparseLayers: sparseReport(vars), latency };
  } finally {
    setSparseEngine(before);
    unbind();
    for (const v of vars.values()) v.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('predict <run>')
    .description("a finished run's test accuracy and inference latency, sparse engine against dense")
    .option('--root <dir>', 'run store directory (or SPRIG_ROOT)')
    .option('--batches <list>', 'batch sizes to time', '1,64')
    .option('--steps <n>', 'timed forward passes per batch size and engine', '200')
    .option('--json', 'print a machine-readable result on stdout')
    .action((run: string, o: { root?: string; batches: string; steps: string; json?: boolean }) => {
      const dir = existsSync(run) ? run : join(o.root ?? defaultRoot(), run);
      const r = predictRun(dir, o.batches.split(',').map(Number), Number(o.steps));
      emit(o.json, r, () =>
        [
          `test accuracy ${pct(r.testAccuracy)}; layers: ${r.sparseLayers.map((l) => `${l.layer} ${l.density.toFixed(3)} ${l.engine}`).join(', ') || 'none masked'}`,
          table(
            ['batch', 'sparse engine ms', 'dense ms', 'speed-up'],
            r.latency.map((l) => [
              String(l.batch),
              l.sparseMs.toFixed(3),
              l.denseMs.toFixed(3),
              `${l.speedup.toFixed(2)}×`,
            ]),
          ),
        ].join('\n'),
      );
    });
}

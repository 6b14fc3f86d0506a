/**
 * `sprig predict RUN`: a finished run's test accuracy and its inference speed at batch 1 and 64, on
 * the sparse engine (masked dense layers on the sparse kernels) against the same weights run dense,
 * interleaved, medians. The run's stored weights and masks are used as they are. A chain model runs
 * compiled (one native call per batch, engine/compiled/infer.ts), timed against TF.js's forward too.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  bindSparseLayers,
  compileInference,
  setSparseEngine,
  sparseEngineMode,
  sparseReport,
  tf,
} from '../engine/index.js';
import { trainHparamsSchema, validate } from '../experiments/hparams.js';
import { setup } from '../experiments/setup.js';
import { loadWeights } from '../experiments/run.js';
import { artifactPath, readJson } from '../store/artifacts.js';
import { finishedResult } from '../store/verify.js';
import { evaluate } from '../training/evaluate.js';
import { compiledEvaluate } from '../training/compiled-step.js';
import { defaultRoot } from '../store/store.js';
import { SprigError } from '../util/errors.js';
import { emit, pct, table } from './output.js';

export interface PredictResult {
  run: string;
  testAccuracy: number;
  /** What ran the forward passes: the compiled chain (one native call) or TF.js, and why TF.js. */
  engine: { engine: 'compiled' | 'tfjs'; reason?: string };
  sparseLayers: { layer: string; density: number; engine: string }[];
  /** Sparse engine on/off through `engine`; with the compiled engine, TF.js's sparse forward too. */
  latency: {
    batch: number;
    sparseMs: number;
    denseMs: number;
    speedup: number;
    tfjsMs?: number;
    compiledSpeedup?: number;
  }[];
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[(v.length - 1) >> 1]!;

/** The median of the last ¾ of `steps` timed calls. */
function timeOf(fn: () => void, steps: number): number {
  const t: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t.slice(steps >> 2));
}

type Forward = (x: Float32Array, batch: number) => void;

/** Each forward path at each batch size, the sparse engine set per path, interleaved, medians of 5. */
function latencies(
  paths: { sparse: Forward; dense: Forward; tfjs?: Forward },
  x: { data: Float32Array; size: number },
  batches: number[],
  steps: number,
): PredictResult['latency'] {
  const before = sparseEngineMode();
  const sparseMode = before === 'off' ? 'on' : before;
  return batches.map((batch) => {
    const xb = x.data.subarray(0, batch * x.size);
    const runs = { sparse: [] as number[], dense: [] as number[], tfjs: [] as number[] };
    for (let r = 0; r < 5; r++)
      for (const k of ['sparse', 'dense', 'tfjs'] as const) {
        const f = paths[k];
        if (!f) continue;
        setSparseEngine(k === 'dense' ? 'off' : sparseMode);
        runs[k].push(timeOf(() => f(xb, batch), steps));
      }
    setSparseEngine(before);
    const [sparseMs, denseMs] = [median(runs.sparse), median(runs.dense)];
    const tfjsMs = paths.tfjs ? median(runs.tfjs) : undefined;
    return {
      batch,
      sparseMs,
      denseMs,
      speedup: denseMs / sparseMs,
      ...(tfjsMs !== undefined && { tfjsMs, compiledSpeedup: tfjsMs / sparseMs }),
    };
  });
}
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
    const { model, dataset } = s;
    const plan = compileInference({
      modelName: model.name,
      chain: model.chain,
      batchNorm: model.bnStats.size > 0,
      vars,
      masks: stored.masks,
    });
    const c = plan.predictor;
    const testAccuracy = (c ? compiledEvaluate(c, dataset.test) : evaluate(model, () => params, dataset.test))
      .accuracy;
    const [h, w, ch] = dataset.inputShape;
    const tfjs: Forward = (x, b) =>
      tf.tidy(() => void model.forward(params, tf.tensor4d(x, [b, h, w, ch]), false).dataSync());
    const compiled: Forward | undefined = c && ((x, b) => void c.predict(x, b));
    const paths = compiled ? { sparse: compiled, dense: compiled, tfjs } : { sparse: tfjs, dense: tfjs };
    const latency = latencies(paths, { data: dataset.test.x, size: h * w * ch }, batches, steps);
    const engine = c ? { engine: 'compiled' as const } : { engine: 'tfjs' as const, reason: plan.reason };
    return { run: dir, testAccuracy, engine, sparseLayers: sparseReport(vars), latency };
  } finally {
    setSparseEngine(before);
    unbind();
    for (const v of vars.values()) v.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('predict <run>')
    .description(
      "a finished run's test accuracy and inference latency, sparse engine against dense (a chain model compiled, against TF.js too)",
    )
    .option('--root <dir>', 'run store directory (or SPRIG_ROOT)')
    .option('--batches <list>', 'batch sizes to time', '1,64')
    .option('--steps <n>', 'timed forward passes per batch size and engine', '200')
    .option('--json', 'print a machine-readable result on stdout')
    .action((run: string, o: { root?: string; batches: string; steps: string; json?: boolean }) => {
      const dir = existsSync(run) ? run : join(o.root ?? defaultRoot(), run);
      const r = predictRun(dir, o.batches.split(',').map(Number), Number(o.steps));
      emit(o.json, r, () =>
        [
          `engine ${r.engine.engine}${r.engine.reason ? ` (${r.engine.reason})` : ''}`,
          `test accuracy ${pct(r.testAccuracy)}; layers: ${r.sparseLayers.map((l) => `${l.layer} ${l.density.toFixed(3)} ${l.engine}`).join(', ') || 'none masked'}`,
          table(
            ['batch', 'sparse engine ms', 'dense ms', 'speed-up', 'TF.js sparse ms', 'compiled speed-up'],
            r.latency.map((l) => [
              String(l.batch),
              l.sparseMs.toFixed(3),
              l.denseMs.toFixed(3),
              `${l.speedup.toFixed(2)}×`,
              l.tfjsMs?.toFixed(3) ?? '-',
              l.compiledSpeedup ? `${l.compiledSpeedup.toFixed(2)}×` : '-',
            ]),
          ),
        ].join('\n'),
      );
    });
}

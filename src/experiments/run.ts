/**
 * One training run in the store: returns the stored result when the run has finished, resumes from
 * its checkpoint when it was killed, and otherwise trains it, recording metrics in the index.
 */
import { join } from 'node:path';
import type { RunStore } from '../store/store.js';
import {
  composeCallbacks,
  train,
  type Callbacks,
  type EpochEvent,
  type TrainOptions,
  type TrainResult,
} from '../training/loop.js';
import { loadCheckpoint, removeIfExists, saveCheckpoint } from '../training/checkpoint.js';
import { SprigError } from '../util/errors.js';
import { observeRun } from './run-observers.js';

export interface RunResult {
  runId: string;
  runDir: string;
  testAccuracy: number;
  testLoss: number;
  testSoftError: number;
  validationAccuracy?: number;
  steps: number;
  wallSeconds: number;
  /** True when the run had already finished and nothing was trained. */
  cached: boolean;
  /** Masked layers and whether they ran on the sparse kernels. */
  sparseLayers?: TrainResult['sparseLayers'];
  history: {
    epoch: number;
    step: number;
    trainLoss: number;
    testAccuracy: number;
    testLoss: number;
    testSoftError: number;
  }[];
}

export interface RunSpec {
  store: RunStore;
  runId: string;
  /** Defaults to <root>/<runId>. */
  dir?: string;
  kind: string;
  parent?: string;
  hparams: unknown;
  options: TrainOptions;
  /** Progress and logging; combined with the store's own metric recording. */
  callbacks?: (label: string) => Callbacks;
  label?: string;
  /** Facts a kind adds to the stored result from the trained state (DST: densities, FLOPs). */
  extraResult?: (trained: TrainResult) => Record<string, unknown>;
}

export const WEIGHTS_FILE = 'weights.bin';

/** Final weights, batch-norm statistics and masks of a finished run. */
export interface StoredWeights {
  weights: Map<string, Float32Array>;
  bnStats: Map<string, { mean: Float32Array; variance: Float32Array }>;
  masks?: Map<string, Float32Array>;
}

export function saveWeights(path: string, w: StoredWeights): void {
  const arrays = new Map<string, Float32Array>();
  for (const [n, v] of w.weights) arrays.set(`w/${n}`, v);
  for (const [n, s] of w.bnStats) {
    arrays.set(`bn/${n}/mean`, s.mean);
    arrays.set(`bn/${n}/var`, s.variance);
  }
  for (const [n, m] of w.masks ?? []) arrays.set(`mask/${n}`, m);
  saveCheckpoint(path, { meta: {}, arrays });
}

export function loadWeights(path: string): StoredWeights {
  const ck = loadCheckpoint(path);
  if (!ck)
    throw new SprigError(`no stored weights at ${path}`, 'run the experiment that produces them first');
  const weights = new Map<string, Float32Array>();
  const masks = new Map<string, Float32Array>();
  const bn = new Map<string, { mean: Float32Array; variance: Float32Array }>();
  for (const [k, v] of ck.arrays) {
    if (k.startsWith('w/')) weights.set(k.slice(2), v);
    else if (k.startsWith('mask/')) masks.set(k.slice(5), v);
    else if (k.startsWith('bn/')) {
      const [, name, which] = /^bn\/(.*)\/(mean|var)$/.exec(k)!;
      const s = bn.get(name!) ?? { mean: new Float32Array(), variance: new Float32Array() };
      if (which === 'mean') s.mean = v;
      else s.variance = v;
      bn.set(name!, s);
    }
  }
  return { weights, bnStats: bn, masks: masks.size ? masks : undefined };
}

export function runTraining(spec: RunSpec): RunResult & { trained?: TrainResult } {
  const { store, runId } = spec;
  const dir = spec.dir ?? store.dir(runId);
  const cached = store.readResult<RunResult>(dir);
  if (cached) return { ...cached, cached: true };
  store.open(dir, spec.hparams);
  store.index.upsertRun({
    runId,
    kind: spec.kind,
    status: 'running',
    parent: spec.parent,
    hparams: spec.hparams,
  });
  const user = spec.callbacks?.(spec.label ?? runId) ?? {};
  const record = (e: EpochEvent) => {
    store.index.addMetrics(runId, e.step, {
      epoch: e.epoch,
      trainLoss: e.trainLoss,
      testAccuracy: e.test.accuracy,
      testLoss: e.test.loss,
      testSoftError: e.test.softError,
      validationAccuracy: e.validation?.accuracy,
    });
  };
  let trained: TrainResult;
  try {
    // Metrics every N steps and mask churn go to the index too (run-observers.ts).
    const observed = observeRun(
      { ...spec.options, callbacks: composeCallbacks(spec.options.callbacks, user, { onEpoch: record }) },
      (step, m) => store.index.addMetrics(runId, step, m),
    );
    trained = train({ ...observed, checkpointPath: join(dir, 'checkpoint.bin') });
  } catch (e) {
    store.index.upsertRun({
      runId,
      kind: spec.kind,
      status: 'failed',
      parent: spec.parent,
      hparams: spec.hparams,
      result: { error: (e as Error).message },
    });
    throw e;
  }
  saveWeights(join(dir, WEIGHTS_FILE), trained);
  const result: RunResult = {
    runId,
    runDir: dir,
    testAccuracy: trained.test.accuracy,
    testLoss: trained.test.loss,
    testSoftError: trained.test.softError,
    validationAccuracy: trained.validation?.accuracy,
    steps: trained.steps,
    wallSeconds: trained.wallSeconds,
    cached: false,
    sparseLayers: trained.sparseLayers,
    history: trained.history.map((e) => ({
      epoch: e.epoch,
      step: e.step,
      trainLoss: e.trainLoss,
      testAccuracy: e.test.accuracy,
      testLoss: e.test.loss,
      testSoftError: e.test.softError,
    })),
    ...spec.extraResult?.(trained),
  };
  store.writeResult(dir, result);
  removeIfExists(join(dir, 'checkpoint.bin')); // weights.bin holds the final state
  store.index.upsertRun({
    runId,
    kind: spec.kind,
    status: 'finished',
    parent: spec.parent,
    hparams: spec.hparams,
    result: summary(result),
  });
  return { ...result, trained };
}

function summary(r: RunResult) {
  const { history: _h, ...rest } = r;
  return rest;
}

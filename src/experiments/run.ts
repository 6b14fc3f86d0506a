/**
 * One training run in the store: returns the stored result when the run has finished, resumes from
 * its checkpoint when it was killed, and otherwise trains it, recording metrics in the index.
 */
import type { RunStore } from '../store/store.js';
import {
  composeCallbacks,
  train,
  type Callbacks,
  type EpochEvent,
  type TrainOptions,
  type TrainResult,
} from '../training/loop.js';
import { StoreFault } from '../store/faults.js';
import { artifactPath, FILES, removeArtifact, saveWeights } from '../store/artifacts.js';
import { observeRun, type Logging } from './run-observers.js';
import { progressRecorder } from './run-progress.js';

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
  /** With --engine compiled: what ran the steps, and why TF.js did when it did. */
  stepEngine?: TrainResult['stepEngine'];
  history: {
    epoch: number;
    step: number;
    trainLoss: number;
    testAccuracy: number;
    testLoss: number;
    testSoftError: number;
  }[];
}

export interface RunSpec extends Logging {
  store: RunStore;
  runId: string;
  /** Defaults to <root>/<runId>. */
  dir?: string;
  kind: string;
  /** The kind's recipe version (in the run id; recorded in hparams.json). */
  recipe: number;
  parent?: string;
  hparams: unknown;
  options: TrainOptions;
  /** Progress and logging; combined with the store's own metric recording. */
  callbacks?: (label: string) => Callbacks;
  label?: string;
  /** Facts a kind adds to the stored result from the trained state (DST: densities, FLOPs). */
  extraResult?: (trained: TrainResult) => Record<string, unknown>;
}

export { saveWeights, loadWeights, type StoredWeights } from '../store/artifacts.js';
export const WEIGHTS_FILE = FILES.weights;

export function runTraining(spec: RunSpec): RunResult & { trained?: TrainResult } {
  const { store, runId } = spec;
  const dir = spec.dir ?? store.dir(runId);
  const cached = store.finishedResult<RunResult>(dir);
  if (cached) return { ...cached, cached: true };
  store.open(dir, spec.hparams, { runId, kind: spec.kind, parent: spec.parent, recipe: spec.recipe });
  try {
    // Another process may have finished it while this one waited to own it.
    const done = store.finishedResult<RunResult>(dir);
    if (done) return { ...done, cached: true };
    return trainOwned(spec, dir);
  } finally {
    store.release(dir);
  }
}

function trainOwned(spec: RunSpec, dir: string): RunResult & { trained: TrainResult } {
  const { store, runId } = spec;
  const row = { runId, kind: spec.kind, parent: spec.parent, dir, hparams: spec.hparams };
  store.index.upsertRun({ ...row, status: 'running' });
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
      {
        ...spec.options,
        callbacks: composeCallbacks(
          spec.options.callbacks,
          user,
          { onEpoch: record },
          progressRecorder(artifactPath(dir, 'progress'), spec.options),
        ),
      },
      (step, m) => store.index.addMetrics(runId, step, m),
      { metricsEvery: spec.metricsEvery },
    );
    trained = train({ ...observed, checkpointPath: store.resumableCheckpoint(dir) });
  } catch (e) {
    markFailed(spec, row, e);
    throw e;
  }
  saveWeights(artifactPath(dir, 'weights'), trained);
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
    stepEngine: trained.stepEngine,
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
  removeArtifact(artifactPath(dir, 'checkpoint')); // weights.bin holds the final state
  removeArtifact(artifactPath(dir, 'progress'));
  store.index.upsertRun({ ...row, status: 'finished', result: summary(result) });
  return { ...result, trained };
}

/**
 * Marks the run failed when the failure is the run's own (it diverged); a fault of the disk or the
 * index (full, read-only) leaves it `running`, which shows as interrupted once this process exits,
 * and must not hide the real error behind a second one.
 */
function markFailed(
  spec: RunSpec,
  row: Omit<Parameters<RunStore['index']['upsertRun']>[0], 'status'>,
  e: unknown,
): void {
  if (e instanceof StoreFault) return;
  try {
    spec.store.index.upsertRun({ ...row, status: 'failed', result: { error: (e as Error).message } });
  } catch {
    // the index is unwritable too; the original error is the one to report
  }
}

function summary(r: RunResult) {
  const { history: _h, ...rest } = r;
  return rest;
}

/**
 * hparams.json against the run id. A run's id is the hash of its hyperparameters, computed by its
 * experiment kind, which the store does not know: the caller passes `identify`. An hparams.json that
 * no longer hashes to its run's id was edited, and the run is not the one its id names.
 */
import { artifactPath, readUnchecked, type RunRecord } from './artifacts.js';

/** The run id a kind gives these stored hyperparameters; undefined when it cannot tell. */
export type Identify = (kind: string, hparams: Record<string, unknown>) => string | undefined;

export function identityProblem(dir: string, identify: Identify): string | undefined {
  const rec = readUnchecked<RunRecord>(artifactPath(dir, 'run'));
  const hp = readUnchecked<Record<string, unknown>>(artifactPath(dir, 'hparams'));
  // Nested runs (lottery levels, bootstrap worlds) are named by their place, not by a hash.
  if (!rec || !hp || rec.parent) return undefined;
  let expected: string | undefined;
  try {
    expected = identify(rec.kind, hp);
  } catch {
    return undefined; // hyperparameters from an older schema: nothing to compare
  }
  return expected && expected !== rec.runId
    ? `hparams.json hashes to ${expected}, not to the run's id ${rec.runId}`
    : undefined;
}

/**
 * The name of every file sprig keeps in a run store. Nothing outside src/store spells one out:
 * commands, sweeps, figures and the dashboard ask for an artifact by its key.
 */
import { join } from 'node:path';

export const FILES = {
  hparams: 'hparams.json',
  result: 'result.json',
  checkpoint: 'checkpoint.bin',
  weights: 'weights.bin',
  masks: 'masks.bin',
  sparsity: 'sparsity.json',
  /** Lottery: accuracy against remaining weights; bootstrap worlds: error curves. */
  curve: 'curve.json',
  bootstrap: 'bootstrap.json',
  gradnorm: 'gradnorm.json',
  gradflow: 'gradflow.json',
  /** Who the run is (id, kind, parent) and the engine and thread count it started with. */
  run: 'run.json',
  /** A running run's step, planned total and rate (experiments/run-progress.ts); gone once it finishes. */
  progress: 'progress.json',
  /** Each artifact's sha-256 and size (manifest.ts). */
  manifest: 'manifest.json',
  /** The owner's OS lock (a SQLite file, see owner.ts) and who holds it. */
  lock: 'owner.lock',
  owner: 'owner.json',
} as const;

/** The SQLite index at the store's root. */
export const INDEX_FILE = 'index.sqlite';

/** Files that describe the run rather than report on it (not listed among a run's reports). */
export const BOOKKEEPING: ReadonlySet<string> = new Set([
  FILES.hparams,
  FILES.run,
  FILES.owner,
  FILES.manifest,
  FILES.progress,
]);

/**
 * Files the manifest does not list: the owner's lock and note change with every process, the
 * progress every few seconds.
 */
export const UNSEALED: ReadonlySet<string> = new Set([
  FILES.lock,
  FILES.owner,
  FILES.manifest,
  FILES.progress,
]);

/** A run directory moved aside because its files failed their check: `<dir>.corrupt-<time>`. */
export const ASIDE_MARK = '.corrupt-';

export type ArtifactName = keyof typeof FILES;

export const artifactPath = (dir: string, name: ArtifactName): string => join(dir, FILES[name]);

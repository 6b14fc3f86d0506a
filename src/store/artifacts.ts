/**
 * Every artifact of a run directory: its file name and its format. Experiments ask for these by
 * name; they do not build paths or parse files themselves. JSON is written atomically (temp file,
 * fsync, rename); a file that does not parse is reported with its path and what to do.
 */
import { existsSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SprigError } from '../util/errors.js';
import { ioError, loadCheckpoint, saveCheckpoint, TMP_MARK, writeAtomic } from '../training/checkpoint.js';

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
  /** The owner's OS lock (a SQLite file, see owner.ts) and who holds it. */
  lock: 'owner.lock',
  owner: 'owner.json',
} as const;

/** Files that describe the run rather than report on it (not listed among a run's reports). */
export const BOOKKEEPING: ReadonlySet<string> = new Set([FILES.hparams, FILES.run, FILES.owner]);

export type ArtifactName = keyof typeof FILES;

export const artifactPath = (dir: string, name: ArtifactName): string => join(dir, FILES[name]);

export function writeJson(path: string, value: unknown): void {
  writeAtomic(path, [Buffer.from(JSON.stringify(value, null, 2) + '\n')]);
}

/** A JSON artifact; `undefined` when it does not exist, a clear error when it does not parse. */
export function readJson<T>(path: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('read', path, e);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw corruptFile(path, (e as Error).message);
  }
}

export function corruptFile(path: string, why: string): SprigError {
  return new SprigError(
    `${path} is corrupt (${why}); sprig writes it atomically, so it was changed by hand or by a failing disk`,
    `delete the run directory that holds it to run that run again, or restore the file from a backup`,
  );
}

/** Removes temporaries a killed process left behind (only the run's owner calls this). */
export function removeTemporaries(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const stale = names.filter((n) => n.includes(TMP_MARK));
  for (const n of stale) {
    try {
      unlinkSync(join(dir, n));
    } catch {
      // another cleaner got there first
    }
  }
  return stale;
}

export const hasResult = (dir: string): boolean => existsSync(artifactPath(dir, 'result'));

/** Final weights, batch-norm statistics and masks of a finished run. */
export interface BnStats {
  mean: Float32Array;
  variance: Float32Array;
}

export interface StoredWeights {
  weights: Map<string, Float32Array>;
  bnStats: Map<string, BnStats>;
  masks?: Map<string, Float32Array>;
}

/** The key layout shared by weight files and checkpoints: `w/<name>`, `bn/<name>/mean|var`, `mask/<name>`. */
export function weightArrays(w: StoredWeights): Map<string, Float32Array> {
  const arrays = new Map<string, Float32Array>();
  for (const [n, v] of w.weights) arrays.set(`w/${n}`, v);
  for (const [n, s] of w.bnStats) {
    arrays.set(`bn/${n}/mean`, s.mean);
    arrays.set(`bn/${n}/var`, s.variance);
  }
  for (const [n, m] of w.masks ?? []) arrays.set(`mask/${n}`, m);
  return arrays;
}

export function weightsFromArrays(arrays: Map<string, Float32Array>): StoredWeights {
  const weights = new Map<string, Float32Array>();
  const masks = new Map<string, Float32Array>();
  const bn = new Map<string, BnStats>();
  for (const [k, v] of arrays) {
    if (k.startsWith('w/')) weights.set(k.slice(2), v);
    else if (k.startsWith('mask/')) masks.set(k.slice(5), v);
    else if (k.startsWith('bn/')) {
      const m = /^bn\/(.*)\/(mean|var)$/.exec(k);
      if (!m) continue;
      const s = bn.get(m[1]!) ?? { mean: new Float32Array(), variance: new Float32Array() };
      if (m[2] === 'mean') s.mean = v;
      else s.variance = v;
      bn.set(m[1]!, s);
    }
  }
  return { weights, bnStats: bn, masks: masks.size ? masks : undefined };
}

export function saveWeights(path: string, w: StoredWeights): void {
  saveCheckpoint(path, { meta: {}, arrays: weightArrays(w) });
}

export function loadWeights(path: string): StoredWeights {
  const ck = loadCheckpoint(path);
  if (!ck)
    throw new SprigError(`no stored weights at ${path}`, 'run the experiment that produces them first');
  return weightsFromArrays(ck.arrays);
}

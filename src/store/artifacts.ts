/**
 * Every artifact of a run directory: its file name and its format. Experiments ask for these by
 * name; they do not build paths or parse files themselves. Every file is written atomically and
 * sealed in the run's manifest (manifest.ts); a file that fails its check or does not parse is
 * reported with its path and what to do.
 */
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SprigError } from '../util/errors.js';
import { removeIfExists, TMP_MARK } from './atomic.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { corruptFile, retrainFix } from './faults.js';
import { forget, readSealed, writeSealed } from './manifest.js';
import { artifactPath, type ArtifactName } from './names.js';

export { FILES, BOOKKEEPING, INDEX_FILE, artifactPath, type ArtifactName } from './names.js';

/** Who a run is and what it ran on (run.json): its float sums depend on the engine and its thread count. */
export interface RunRecord {
  runId: string;
  kind: string;
  parent: string | null;
  engine: 'native' | 'js';
  threads: number;
  createdAt: string;
  /** The summary file that marks an experiment (not a training run) finished, e.g. 'curve'. */
  report?: ArtifactName;
}

export function writeJson(path: string, value: unknown): void {
  writeSealed(path, [Buffer.from(JSON.stringify(value, null, 2) + '\n')]);
}

/** A JSON artifact; `undefined` when it does not exist, a clear error when it is damaged. */
export function readJson<T>(path: string): T | undefined {
  const buf = readSealed(path);
  if (!buf) return undefined;
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch (e) {
    throw corruptFile(path, (e as Error).message);
  }
}

/** A binary artifact in a format its caller parses; a parse failure is reported as damage to `path`. */
export function readBinary<T>(path: string, parse: (bytes: Uint8Array) => T): T | undefined {
  const buf = readSealed(path);
  if (!buf) return undefined;
  try {
    return parse(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch (e) {
    throw corruptFile(path, (e as Error).message.split('\n')[0]!);
  }
}

export const writeBinary = (path: string, chunks: Uint8Array[]): void => writeSealed(path, chunks);

/** Removes an artifact and its manifest entry (the entry first: a kill between leaves nothing listed). */
export function removeArtifact(path: string): void {
  forget(path);
  removeIfExists(path);
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
  const ck = loadCheckpoint(path, retrainFix());
  if (!ck)
    throw new SprigError(`no stored weights at ${path}`, 'run the experiment that produces them first');
  return weightsFromArrays(ck.arrays);
}

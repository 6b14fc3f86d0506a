/**
 * Rebuilds the SQLite index from the run directories, which are the truth: every directory with an
 * hparams.json is a run; run.json says who it is (older runs: the directory name and the shape of
 * their hyperparameters); its result (or the report its run.json names) says whether it finished.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { artifactPath, hasResult, readJson } from './artifacts.js';
import type { RunIndex } from './index-db.js';
import type { RunRecord } from './store.js';

interface StoredResult {
  history?: { step: number; epoch: number; trainLoss: number; testAccuracy: number; testLoss: number }[];
  [k: string]: unknown;
}

export function rebuildIndex(root: string, index: RunIndex): number {
  let n = 0;
  for (const dir of runDirs(root, 0)) {
    let hparams: Record<string, unknown>, rec: RunRecord | undefined, result: StoredResult | undefined;
    try {
      hparams = readJson<Record<string, unknown>>(artifactPath(dir, 'hparams')) ?? {};
      rec = readJson<RunRecord>(artifactPath(dir, 'run'));
      result = readJson<StoredResult>(artifactPath(dir, 'result'));
    } catch (e) {
      // One damaged run must not keep the others out of the index.
      process.stderr.write(`sprig: left out of the index: ${(e as Error).message}\n`);
      continue;
    }
    const kind = rec?.kind ?? inferKind(hparams);
    // an experiment's run.json names the summary file that marks it finished (its kind's report)
    const report = rec?.report;
    const finished =
      hasResult(dir) || (report !== undefined && readJson(artifactPath(dir, report)) !== undefined);
    const { history, ...rest } = result ?? {};
    index.upsertRun({
      runId: rec?.runId ?? basename(dir),
      kind,
      status: finished ? 'finished' : 'running',
      parent: rec?.parent ?? null,
      dir,
      hparams,
      result: result ? rest : undefined,
      createdAt: rec?.createdAt ?? statSync(dir).mtime.toISOString(),
    });
    for (const h of history ?? [])
      index.addMetrics(rec?.runId ?? basename(dir), h.step, {
        epoch: h.epoch,
        trainLoss: h.trainLoss,
        testAccuracy: h.testAccuracy,
        testLoss: h.testLoss,
      });
    n++;
  }
  return n;
}

/** Whether `root` holds any run directory (an index missing beside them is rebuilt). */
export function hasRunDirs(root: string): boolean {
  return subdirs(root).some((d) => isRunDir(artifactPath(d, 'hparams')));
}

function* runDirs(dir: string, depth: number): Generator<string> {
  if (depth > 8) return;
  for (const d of subdirs(dir)) {
    if (isRunDir(artifactPath(d, 'hparams'))) yield d;
    yield* runDirs(d, depth + 1);
  }
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== 'rewind')
      .map((e) => join(dir, e.name))
      .sort();
  } catch {
    return [];
  }
}

/** A run directory is one with an hparams.json (damaged or not: the damage is reported above). */
function isRunDir(path: string): boolean {
  return existsSync(path);
}

function inferKind(hp: Record<string, unknown>): string {
  for (const k of ['bootstrap', 'gradflow', 'dst'] as const) if (k in hp) return k;
  if ('pruning' in hp) return 'level' in hp ? 'lottery_level' : 'lottery';
  return 'train';
}

/**
 * Rebuilds the SQLite index from the run directories, which are the truth: every directory with an
 * hparams.json is a run; run.json says who it is (older runs: the directory name and the shape of
 * their hyperparameters); its result (or the report its run.json names) says whether it finished. A run
 * whose files fail their check (verify.ts) is indexed as corrupt, without the result it claims.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { artifactPath, hasResult, readJson, type RunRecord } from './artifacts.js';
import type { RunIndex } from './index-db.js';
import { ASIDE_MARK } from './names.js';
import { checkRun } from './verify.js';

interface StoredResult {
  history?: { step: number; epoch: number; trainLoss: number; testAccuracy: number; testLoss: number }[];
  [k: string]: unknown;
}

export function rebuildIndex(root: string, index: RunIndex): number {
  let n = 0;
  for (const dir of runDirs(root, 0)) {
    const check = checkRun(dir);
    const corrupt = check.state === 'corrupt';
    if (corrupt) process.stderr.write(`sprig: ${dir} is corrupt: ${check.problems.join('; ')}\n`);
    // A corrupt run is listed (as corrupt) from what its files say, but not with the result it claims.
    const read = corrupt ? readUnchecked : readJson;
    let hparams: Record<string, unknown>, rec: RunRecord | undefined, result: StoredResult | undefined;
    try {
      hparams = read<Record<string, unknown>>(artifactPath(dir, 'hparams')) ?? {};
      rec = read<RunRecord>(artifactPath(dir, 'run'));
      result = corrupt ? undefined : readJson<StoredResult>(artifactPath(dir, 'result'));
    } catch (e) {
      // One damaged run must not keep the others out of the index.
      process.stderr.write(`sprig: left out of the index: ${(e as Error).message}\n`);
      continue;
    }
    indexRun(index, dir, { hparams, rec, result, corrupt });
    n++;
  }
  return n;
}

function readUnchecked<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function indexRun(
  index: RunIndex,
  dir: string,
  r: { hparams: Record<string, unknown>; rec?: RunRecord; result?: StoredResult; corrupt: boolean },
): void {
  const kind = r.rec?.kind ?? inferKind(r.hparams);
  // an experiment's run.json names the report that marks it finished (its kind's, experiments/kinds)
  const report = r.rec?.report;
  const finished = hasResult(dir) || (report !== undefined && existsSync(artifactPath(dir, report)));
  const runId = r.rec?.runId ?? basename(dir);
  const { history, ...rest } = r.result ?? {};
  index.upsertRun({
    runId,
    kind,
    status: !finished ? 'running' : r.corrupt ? 'corrupt' : 'finished',
    parent: r.rec?.parent ?? null,
    dir,
    hparams: r.hparams,
    result: r.result ? rest : undefined,
    createdAt: r.rec?.createdAt ?? statSync(dir).mtime.toISOString(),
  });
  for (const h of history ?? [])
    index.addMetrics(runId, h.step, {
      epoch: h.epoch,
      trainLoss: h.trainLoss,
      testAccuracy: h.testAccuracy,
      testLoss: h.testLoss,
    });
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
      .filter((e) => e.isDirectory() && e.name !== 'rewind' && !e.name.includes(ASIDE_MARK))
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

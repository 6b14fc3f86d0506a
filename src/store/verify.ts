/**
 * Checks a run directory's files against its manifest: every listed file must exist with the size
 * and sha-256 that were written. A directory without a manifest was stored before manifests: it is
 * unverified, not corrupt.
 */
import { readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { readJson, type RunRecord } from './artifacts.js';
import { CorruptArtifact, ioError, retrainFix } from './faults.js';
import { mismatch, readManifest } from './manifest.js';
import { artifactPath, ASIDE_MARK, FILES } from './names.js';
import { ownerAlive } from './owner.js';

export interface RunCheck {
  dir: string;
  state: 'ok' | 'unverified' | 'corrupt';
  /** One line per damaged or missing file. */
  problems: string[];
}

export function checkRun(dir: string): RunCheck {
  let m: ReturnType<typeof readManifest>;
  try {
    m = readManifest(dir);
  } catch (e) {
    return { dir, state: 'corrupt', problems: [(e as Error).message] };
  }
  if (!m) return { dir, state: 'unverified', problems: [] };
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(m.files)) {
    const why = fileProblem(join(dir, name), entry, m);
    if (why) problems.push(`${name}${why.startsWith('is ') ? ' ' : ': '}${why}`);
  }
  return { dir, state: problems.length ? 'corrupt' : 'ok', problems };
}

type Manifest = NonNullable<ReturnType<typeof readManifest>>;

/**
 * Files already hashed in this process, by path, with the stat and digest they were hashed under: a
 * long-lived reader (the dashboard, refreshing its list) hashes a file again only when it changes.
 */
const hashed = new Map<string, { sig: string; why: string | undefined }>();

function fileProblem(path: string, entry: Manifest['files'][string], m: Manifest): string | undefined {
  let sig: string;
  try {
    const st = statSync(path);
    sig = [st.size, st.mtimeMs, st.ctimeMs, st.ino, entry.sha256, entry.pending?.sha256].join(':');
  } catch (e) {
    // A new file whose write was cut short never landed (its only digest is pending).
    if (entry.bytes < 0) return undefined;
    return `is ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable'}`;
  }
  const seen = hashed.get(path);
  if (seen?.sig === sig) return seen.why;
  let why: string | undefined;
  try {
    why = mismatch(path, readFileSync(path), m);
  } catch {
    why = 'is unreadable';
  }
  hashed.set(path, { sig, why });
  return why;
}

/**
 * The result of a finished run whose files all pass their check; undefined when it has not
 * finished; a CorruptArtifact naming each damaged file, and how to retrain the run, when they fail.
 */
export function finishedResult<R>(dir: string, root?: string): R | undefined {
  const result = readJson<R>(artifactPath(dir, 'result'));
  if (result === undefined) return undefined;
  const check = checkRun(dir);
  if (check.state === 'corrupt')
    throw new CorruptArtifact(`run ${dir} is corrupt: ${check.problems.join('; ')}`, retrainFix(root));
  return result;
}

/** Every directory under `root` that holds a run or a manifest (lottery levels, rewind points), sorted. */
export function sealedDirs(root: string, depth = 0): string[] {
  if (depth > 8) return [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    return [];
  }
  const names = new Set(entries.map((e) => e.name));
  const here = depth > 0 && (names.has(FILES.manifest) || names.has(FILES.hparams)) ? [root] : [];
  const below = entries
    .filter((e) => e.isDirectory() && !e.name.includes(ASIDE_MARK))
    .map((e) => e.name)
    .sort()
    .flatMap((n) => sealedDirs(join(root, n), depth + 1));
  return [...here, ...below];
}

export interface StoreCheck extends RunCheck {
  /** The run id (run.json), else the directory's path under the root. */
  runId: string;
  /** Where `--move-aside` put it. */
  movedTo?: string;
}

/** Checks every run directory (and rewind point) under `root`. */
export function verifyStore(root: string): StoreCheck[] {
  return sealedDirs(root).map((dir) => {
    let rec: RunRecord | undefined;
    try {
      rec = readJson<RunRecord>(artifactPath(dir, 'run'));
    } catch {
      rec = undefined; // a damaged run.json is one of the problems checkRun names
    }
    return { ...checkRun(dir), runId: rec?.runId ?? (relative(root, dir) || basename(dir)) };
  });
}

/**
 * Moves a damaged run out of the way, to `<dir>.corrupt-<time>` (kept, never listed), so that the
 * command that made it trains it anew. A run a live process owns is left alone.
 */
export function moveAside(dir: string): string {
  if (ownerAlive(dir) === true)
    throw new CorruptArtifact(
      `run ${dir} is being written by a live process; it was not moved`,
      'wait for that process to finish, then run sprig verify --move-aside again',
    );
  const to = `${dir}${ASIDE_MARK}${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(dir, to);
  } catch (e) {
    throw ioError('move aside', dir, e);
  }
  return to;
}

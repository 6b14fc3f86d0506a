/**
 * The run store: one directory per run, named by the hash of its hyperparameters, holding
 * hparams.json, run.json (identity and engine), the checkpoint, metrics and result.json; plus the
 * SQLite index. A run directory has one owner process at a time (owner.ts). A finished run
 * (result.json present) is never trained again or overwritten: asking for it returns what it stored.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { SprigError } from '../util/errors.js';
import { engineStatus, engineThreads, pinThreads } from '../engine/index.js';
import {
  artifactPath,
  readJson,
  removeTemporaries,
  writeJson,
  type ArtifactName,
  type RunRecord,
} from './artifacts.js';
import { CorruptArtifact, ioError } from './faults.js';
import { RunIndex, type RunRow } from './index-db.js';
import { ASIDE_MARK, INDEX_FILE } from './names.js';
import { loadCheckpoint } from './checkpoint.js';
import { forget } from './manifest.js';
import { ownerText, releaseOwnership, takeOwnership } from './owner.js';
import { hasRunDirs, rebuildIndex } from './reindex.js';
import { shownStatus } from './status.js';
import { finishedResult } from './verify.js';

export const DEFAULT_ROOT = 'runs';

export function defaultRoot(): string {
  return process.env.SPRIG_ROOT || DEFAULT_ROOT;
}

export interface RunIdentity {
  runId: string;
  kind: string;
  parent?: string | null;
  /** The kind's recipe version, hashed into the run id; recorded in hparams.json as `recipe`. */
  recipe: number;
  report?: ArtifactName;
}

export interface StoreOptions {
  /** Only list and read: no directory is created, nothing is written (a read-only store works). */
  readOnly?: boolean;
}

export class RunStore {
  readonly root: string;
  readonly readOnly: boolean;
  private indexDb?: RunIndex;
  /** Directories this store owns, with the thread count to restore when each is released. */
  private readonly owned = new Map<string, number>();

  constructor(root: string = defaultRoot(), opts: StoreOptions = {}) {
    this.root = resolve(root);
    this.readOnly = opts.readOnly ?? false;
    if (this.readOnly) return;
    const refuse = (what: string, e: unknown) => {
      const err = e as NodeJS.ErrnoException;
      return new SprigError(
        `the run store ${this.root} is not writable (${what}): ${err.code ?? 'error'} (${err.message?.replace(/^[A-Z]+: /, '').split(',')[0]})`,
        'pass --root DIR (or set SPRIG_ROOT) to a directory on a writable disk (not under /proc or /sys)',
      );
    };
    try {
      ensureDir(this.root);
    } catch (e) {
      throw refuse('it cannot be created', e);
    }
    try {
      const probe = join(this.root, `.write-test-${process.pid}`);
      writeFileSync(probe, '');
      unlinkSync(probe);
    } catch (e) {
      throw refuse('a file cannot be written in it', e);
    }
    // Opened before any run directory exists, so a new store is not mistaken for a lost index.
    this.indexDb = this.openIndex();
  }

  get index(): RunIndex {
    this.indexDb ??= this.openIndex();
    return this.indexDb;
  }

  /** The index; rebuilt from the run directories when it is missing or corrupt. */
  private openIndex(): RunIndex {
    const path = join(this.root, INDEX_FILE);
    const rebuild = (why: string, idx: RunIndex) => {
      process.stderr.write(`sprig: ${why}; rebuilding it from the run directories in ${this.root}\n`);
      rebuildIndex(this.root, idx);
      return idx;
    };
    if (!existsSync(path)) {
      if (this.readOnly) return rebuild(`${path} is missing`, tempIndex(this.root));
      const idx = new RunIndex(path);
      return hasRunDirs(this.root) ? rebuild(`${path} is missing`, idx) : idx;
    }
    try {
      const idx = new RunIndex(path, this.readOnly);
      // A copy made without its -wal holds no tables: its runs are in the directories.
      return idx.lostRuns && hasRunDirs(this.root) ? rebuild(`${path} has no runs table`, idx) : idx;
    } catch (e) {
      if (!(e instanceof SprigError) || !/is corrupt/.test(e.message)) throw e;
      if (this.readOnly) return rebuild(`${path} is corrupt`, tempIndex(this.root));
      const aside = `${path}.corrupt-${Date.now()}`;
      for (const ext of ['', '-wal', '-shm']) if (existsSync(path + ext)) renameSync(path + ext, aside + ext);
      return rebuild(`${path} is corrupt (kept as ${aside})`, new RunIndex(path));
    }
  }

  /** Rebuilds the index from the run directories (they are the truth); returns the runs found. */
  reindex(): number {
    this.indexDb?.close();
    const path = join(this.root, INDEX_FILE);
    for (const ext of ['', '-wal', '-shm']) if (existsSync(path + ext)) unlinkSync(path + ext);
    this.indexDb = new RunIndex(path);
    return rebuildIndex(this.root, this.indexDb);
  }

  /** Directory of a run; `parent` nests it (a lottery level under its experiment, a branch under its level). */
  dir(runId: string, parentDir?: string): string {
    return join(parentDir ?? this.root, runId);
  }

  /**
   * Takes ownership of a run's directory (waiting for a live owner, taking over a dead one), removes
   * temporaries a killed owner left, records its hyperparameters and identity once, and fixes the
   * thread count the run started with. Held until `release` or `close` (or the process's exit).
   */
  open(dir: string, hparams: unknown, who: RunIdentity): void {
    if (this.owned.has(dir)) return;
    try {
      ensureDir(dir);
    } catch (e) {
      throw ioError('create the run directory', dir, e);
    }
    takeOwnership(dir, {
      wait: process.env.SPRIG_WAIT !== '0',
      onWait: (o) =>
        process.stderr.write(
          `sprig: run ${who.runId} is being trained by another process (${ownerText(o)}); waiting for it to finish\n`,
        ),
    });
    this.owned.set(dir, engineThreads());
    try {
      removeTemporaries(dir);
      const hpPath = artifactPath(dir, 'hparams');
      // a damaged one stops here, named
      if (readJson(hpPath) === undefined) writeJson(hpPath, { ...(hparams as object), recipe: who.recipe });
      this.pinEngine(dir, who);
    } catch (e) {
      this.release(dir);
      throw e;
    }
  }

  /** A resumed run keeps the thread count it started with; a new one records the current one. */
  private pinEngine(dir: string, who: RunIdentity): void {
    const path = artifactPath(dir, 'run');
    const engine = engineStatus().engine;
    const rec = readJson<RunRecord>(path);
    if (!rec) {
      writeJson(path, {
        runId: who.runId,
        kind: who.kind,
        parent: who.parent ?? null,
        engine,
        threads: engineThreads(),
        createdAt: new Date().toISOString(),
        ...(who.report && { report: who.report }),
      } satisfies RunRecord);
      return;
    }
    if (rec.engine !== engine)
      process.stderr.write(
        `sprig: run ${who.runId} started on the ${rec.engine} engine and continues on ${engine}: its numbers will not match an uninterrupted run\n`,
      );
    else if (engine === 'native') pinThreads(rec.threads);
  }

  /** The run's engine record (undefined for runs stored before it was kept). */
  record(dir: string): RunRecord | undefined {
    return readJson<RunRecord>(artifactPath(dir, 'run'));
  }

  release(dir: string): void {
    const threads = this.owned.get(dir);
    if (threads === undefined) return;
    this.owned.delete(dir);
    releaseOwnership(dir);
    pinThreads(threads);
  }

  readResult<R>(dir: string): R | undefined {
    return readJson<R>(artifactPath(dir, 'result'));
  }

  /** Records a finished run's result; refuses to replace one that exists. */
  writeResult(dir: string, result: unknown): void {
    const path = artifactPath(dir, 'result');
    if (existsSync(path))
      throw new SprigError(
        `${path} already exists; a finished run is never overwritten`,
        'delete the run directory to run it again',
      );
    writeJson(path, result);
  }

  /** The result of a finished run whose files pass their check (verify.ts), else undefined or an error. */
  finishedResult<R>(dir: string): R | undefined {
    return finishedResult<R>(dir, this.root);
  }

  /**
   * The checkpoint to resume from. One that fails its check is never resumed from: it is moved aside
   * (kept for a post-mortem) with a warning, and the run starts over.
   */
  resumableCheckpoint(dir: string): string {
    const path = artifactPath(dir, 'checkpoint');
    try {
      loadCheckpoint(path);
      return path;
    } catch (e) {
      if (!(e instanceof CorruptArtifact)) throw e;
      const aside = `${path}${ASIDE_MARK}${Date.now()}`;
      forget(path);
      try {
        renameSync(path, aside);
      } catch (err) {
        throw ioError('move aside', path, err);
      }
      process.stderr.write(
        `sprig: warning: ${e.message.split('\n')[0]}; not resuming from it (kept as ${aside}): this run starts over\n`,
      );
      return path;
    }
  }

  /** The status to show (status.ts): what the run's directory and its owner's lock say now. */
  status(row: RunRow): RunRow['status'] {
    return shownStatus(row, row.dir ?? join(this.root, row.runId));
  }

  close(): void {
    for (const dir of [...this.owned.keys()].reverse()) this.release(dir);
    this.indexDb?.close();
    this.indexDb = undefined;
  }
}

/**
 * Refuses a root that cannot be a run store before anything reads it: a file, or a directory that
 * holds other things but neither an index nor a run (a mistyped --root such as /proc/self).
 */
export function checkStoreRoot(root: string): void {
  const fix = 'pass --root DIR (or set SPRIG_ROOT) to the directory your runs are stored in';
  let st: import('node:fs').Stats;
  try {
    st = statSync(root);
  } catch {
    throw new SprigError(`there is no run store at ${root}`, fix);
  }
  if (!st.isDirectory())
    throw new SprigError(`${root} is not a run store: it is a file, not a directory`, fix);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch (e) {
    throw ioError('read the run store', root, e);
  }
  if (names.length && !names.includes(INDEX_FILE) && !hasRunDirs(root))
    throw new SprigError(
      `${root} is not a run store: it holds neither ${INDEX_FILE} nor any run directory`,
      fix,
    );
}

/**
 * `mkdir -p` one level at a time: each missing directory is created on its own, so a path the
 * kernel refuses (under /proc, a file in the way) fails at once — Node's recursive mkdirSync loops
 * forever under /proc.
 */
export function ensureDir(path: string): void {
  const missing: string[] = [];
  for (let p = resolve(path); !existsSync(p); p = dirname(p)) {
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing) mkdirSync(p);
}

/** A read-only store's index is rebuilt into a private temp directory, dropped on close. */
function tempIndex(root: string): RunIndex {
  const dir = mkdtempSync(join(tmpdir(), 'sprig-index-'));
  return new RunIndex(join(dir, INDEX_FILE), false, dir, root);
}

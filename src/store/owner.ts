/**
 * One owner per run directory. The lock is the operating system's: an exclusive SQLite transaction
 * on `owner.lock` (POSIX record locks, through better-sqlite3). The kernel drops it when the owner
 * exits or is killed, so a dead owner's run is taken over at once and a live one is never stolen —
 * unlike lock files kept fresh by a timer, which cannot tick while a training step blocks the
 * event loop. `owner.json` says who holds it, for messages only.
 */
import Database from 'better-sqlite3';
import { existsSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { SprigError } from '../util/errors.js';
import { artifactPath, readJson, writeJson } from './artifacts.js';
import { ioError, sqliteAsErrno } from './faults.js';

export interface OwnerInfo {
  pid: number;
  host: string;
  startedAt: string;
}

const held = new Map<string, Database.Database>();

/** Whether this process owns `dir`. */
export const ownsRun = (dir: string): boolean => held.has(dir);

/**
 * Takes ownership of `dir`: at once when it is free (or its owner died), else waits for the owner
 * to finish — or, when `wait` is false, fails naming the owner's pid.
 */
export function takeOwnership(dir: string, opts: { wait: boolean; onWait?: (o?: OwnerInfo) => void }): void {
  if (held.has(dir)) return;
  const path = artifactPath(dir, 'lock');
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (e) {
    throw ioError('open the lock', path, sqliteAsErrno(e));
  }
  // A brief wait covers a reader's momentary shared lock (a `sprig runs` checking liveness).
  if (!tryExclusive(db, 250)) {
    const owner = readOwner(dir);
    if (!opts.wait) {
      db.close();
      throw new SprigError(
        `run ${dir} is being trained by another process (${describe(owner)})`,
        `wait for it to finish and run the same command again (it then returns the stored result), or stop that process`,
      );
    }
    opts.onWait?.(owner);
    if (!tryExclusive(db, 2 ** 31 - 1)) throw new SprigError(`gave up waiting for the owner of ${dir}`);
  }
  held.set(dir, db);
  writeJson(artifactPath(dir, 'owner'), {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
  } satisfies OwnerInfo);
}

export function releaseOwnership(dir: string): void {
  const db = held.get(dir);
  if (!db) return;
  held.delete(dir);
  try {
    unlinkSync(artifactPath(dir, 'owner'));
  } catch {
    // already gone
  }
  try {
    db.exec('ROLLBACK');
  } finally {
    db.close();
  }
}

/**
 * Whether a live process owns `dir`: true, false (nobody: a `running` row is then interrupted), or
 * undefined when the run has no lock file (made before owners were recorded). Read-only: it works on
 * a read-only store.
 */
export function ownerAlive(dir: string): boolean | undefined {
  if (held.has(dir)) return true;
  const path = artifactPath(dir, 'lock');
  if (!existsSync(path)) return undefined;
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 0');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return false;
  } catch (e) {
    return (e as { code?: string }).code === 'SQLITE_BUSY' ? true : undefined;
  } finally {
    db?.close();
  }
}

export function readOwner(dir: string): OwnerInfo | undefined {
  try {
    return readJson<OwnerInfo>(artifactPath(dir, 'owner'));
  } catch {
    return undefined;
  }
}

function describe(o?: OwnerInfo): string {
  return o ? `pid ${o.pid} on ${o.host}, since ${o.startedAt}` : 'pid unknown';
}

export const ownerText = describe;

function tryExclusive(db: Database.Database, timeoutMs: number): boolean {
  db.pragma(`busy_timeout = ${timeoutMs}`);
  try {
    db.pragma('journal_mode = MEMORY'); // a lock holds no data: no journal file to leave behind
    db.exec('BEGIN EXCLUSIVE');
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_BUSY') return false;
    throw ioError('lock', db.name, sqliteAsErrno(e));
  }
}

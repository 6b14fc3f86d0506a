/**
 * What a failed file or index operation means, and what to do about it: one line with the path and
 * the OS error, and a fix a user can act on.
 */
import { dirname } from 'node:path';
import { SprigError } from '../util/errors.js';

/** A fault of the disk or file system (full, read-only, missing), not of the run: it can resume. */
export class StoreFault extends SprigError {}

export function ioError(action: string, path: string, e: unknown): SprigError {
  if (e instanceof SprigError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? 'error';
  const fixes: Record<string, string> = {
    ENOSPC: `free space on the disk holding ${dirname(path)} (it is full; df -h shows it), then run the same command again (a run resumes from its last checkpoint)`,
    EDQUOT: `free space within your disk quota, then run the same command again (a run resumes from its last checkpoint)`,
    EROFS: `${dirname(path)} is on a read-only file system: remount it read-write or pass --root DIR (or SPRIG_ROOT) on a writable disk, then run the same command again`,
    EACCES: `make ${dirname(path)} writable for this user, or pass --root DIR (or SPRIG_ROOT) to a directory you can write to`,
    ENOENT: `a directory on the way to ${path} is missing (was the run store moved or deleted?); restore it or pass --root DIR, then run the same command again`,
    EIO: `the disk holding ${dirname(path)} failed a read or write (is it full? df -h shows it; dmesg shows disk errors); fix it, then run the same command again`,
  };
  fixes.EPERM = fixes.EACCES!;
  const osText = err.message?.replace(/^[A-Z]+: /, '').split(',')[0] ?? String(e);
  return new StoreFault(
    `could not ${action} ${path}: ${code} (${osText})`,
    fixes[code] ?? 'check the path and the disk, then run the same command again',
  );
}

/**
 * SQLite's error codes as the OS errors they stand for, so messages and fixes match file writes.
 * SHMSIZE is SQLite failing to grow its shared-memory file: in practice a full disk.
 */
export function sqliteAsErrno(e: unknown): unknown {
  const code = (e as { code?: string }).code ?? '';
  const map: [string, string][] = [
    ['SQLITE_FULL', 'ENOSPC'],
    ['SQLITE_IOERR_SHMSIZE', 'ENOSPC'],
    ['SQLITE_READONLY', 'EROFS'],
    ['SQLITE_CANTOPEN', 'EACCES'],
    ['SQLITE_PERM', 'EACCES'],
    ['SQLITE_IOERR', 'EIO'],
  ];
  const errno = map.find(([k]) => code.startsWith(k))?.[1];
  if (!errno) return e;
  return Object.assign(new Error(`${errno}: ${(e as Error).message} [${code}]`), { code: errno });
}

/** A stored file whose contents are wrong (damaged, cut short, changed by hand). */
export class CorruptArtifact extends SprigError {}

/** How to get a good run back: the damaged one goes aside (kept), and the same command trains it anew. */
export const retrainFix = (root = 'ROOT') =>
  `move the damaged run aside with \`sprig verify --move-aside --root ${root}\`, then run the command that made it again: it trains the run anew`;

export function corruptFile(path: string, why: string, fix = retrainFix()): CorruptArtifact {
  return new CorruptArtifact(
    `${path} is corrupt (${why}); sprig writes it atomically, so it was changed by hand or by a failing disk`,
    fix,
  );
}

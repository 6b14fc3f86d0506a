/**
 * Atomic file writes (temp file, fsync, rename): a process killed at any moment leaves either the
 * old file or the new one. A write that fails (full disk, read-only file system) removes its
 * temporary and says why.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ioError } from './faults.js';

/** Temporaries are `<file>.tmp-<pid>`; a run that opens its directory removes stale ones. */
export const TMP_MARK = '.tmp-';

export function writeAtomic(path: string, chunks: Uint8Array[]): void {
  const tmp = `${path}${TMP_MARK}${process.pid}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      for (const c of chunks) writeSync(fd, c);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already gone
    }
    throw ioError('write', path, e);
  }
  try {
    const dfd = openSync(dirname(path), 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // directories cannot be fsync'd on every platform; the rename is still atomic
  }
}

export function removeIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('remove', path, e);
  }
}

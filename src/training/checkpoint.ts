/**
 * Checkpoints: a JSON header and named Float32Arrays in one file, written atomically (temp file,
 * fsync, rename) so that a run killed at any moment leaves either the old or the new checkpoint.
 * A write that fails (full disk, read-only file system) removes its temporary and says why.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
  unlinkSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { SprigError } from '../util/errors.js';

const MAGIC = 'SPRIGCK1';
/** Temporaries are `<file>.tmp-<pid>`; a run that opens its directory removes stale ones. */
export const TMP_MARK = '.tmp-';

export interface Checkpoint<M = unknown> {
  meta: M;
  arrays: Map<string, Float32Array>;
}

/** A fault of the disk or file system (full, read-only, missing), not of the run: it can resume. */
export class StoreFault extends SprigError {}

/** What a failed file operation means, and what to do about it. */
export function ioError(action: string, path: string, e: unknown): SprigError {
  if (e instanceof SprigError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? 'error';
  const fixes: Record<string, string> = {
    ENOSPC: `free space on the disk holding ${dirname(path)} (df -h shows it), then run the same command again: it resumes from the last checkpoint`,
    EDQUOT: `free space within your disk quota, then run the same command again: it resumes from the last checkpoint`,
    EROFS: `${dirname(path)} is on a read-only file system: remount it read-write or pass --root DIR (or SPRIG_ROOT) on a writable disk, then run the same command again`,
    EACCES: `make ${dirname(path)} writable for this user, or pass --root DIR (or SPRIG_ROOT) to a directory you can write to`,
    ENOENT: `a directory on the way to ${path} is missing (was the run store moved or deleted?); restore it or pass --root DIR, then run the same command again`,
  };
  fixes.EPERM = fixes.EACCES!;
  const osText = err.message?.replace(/^[A-Z]+: /, '').split(',')[0] ?? String(e);
  return new StoreFault(
    `could not ${action} ${path}: ${code} (${osText})`,
    fixes[code] ?? 'check the path and the disk, then run the same command again',
  );
}

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

export function saveCheckpoint<M>(path: string, ck: Checkpoint<M>): void {
  const index = [...ck.arrays].map(([key, a]) => ({ key, length: a.length }));
  let header = Buffer.from(JSON.stringify({ meta: ck.meta, index }), 'utf8');
  const pad = (4 - ((MAGIC.length + 4 + header.length) % 4)) % 4;
  header = Buffer.concat([header, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const chunks: Uint8Array[] = [Buffer.from(MAGIC), len, header];
  for (const a of ck.arrays.values()) chunks.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  writeAtomic(path, chunks);
}

export function loadCheckpoint<M>(path: string): Checkpoint<M> | undefined {
  if (!existsSync(path)) return undefined;
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw ioError('read', path, e);
  }
  const corrupt = (why: string) =>
    new SprigError(
      `checkpoint ${path} is corrupt (${why})`,
      `delete it to restart this run from scratch: rm '${path}'`,
    );
  if (buf.length < 12 || buf.toString('utf8', 0, 8) !== MAGIC) throw corrupt('bad magic');
  const hlen = buf.readUInt32LE(8);
  let header: { meta: M; index: { key: string; length: number }[] };
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + hlen));
  } catch {
    throw corrupt('bad header');
  }
  if (!Array.isArray(header?.index)) throw corrupt('bad header');
  const arrays = new Map<string, Float32Array>();
  let off = 12 + hlen;
  for (const { key, length } of header.index) {
    if (off + length * 4 > buf.length) throw corrupt('truncated');
    arrays.set(
      key,
      new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + length * 4)),
    );
    off += length * 4;
  }
  return { meta: header.meta, arrays };
}

export function removeIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('remove', path, e);
  }
}

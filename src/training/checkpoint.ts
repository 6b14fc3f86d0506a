/**
 * Checkpoints: a JSON header and named Float32Arrays in one file, written atomically (temp file,
 * fsync, rename) so that a run killed at any moment leaves either the old or the new checkpoint.
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

export interface Checkpoint<M = unknown> {
  meta: M;
  arrays: Map<string, Float32Array>;
}

export function writeAtomic(path: string, chunks: Uint8Array[]): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const c of chunks) writeSync(fd, c);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
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
  const buf = readFileSync(path);
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
  if (existsSync(path)) unlinkSync(path);
}

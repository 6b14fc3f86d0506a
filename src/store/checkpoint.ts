/**
 * Checkpoints (and weight files, which share the format): a JSON header and named Float32Arrays in
 * one file, written atomically and sealed in the run's manifest, so a run killed at any moment
 * leaves either the old or the new checkpoint, and a damaged one is never resumed from.
 */
import { CorruptArtifact } from './faults.js';
import { readSealed, writeSealed } from './manifest.js';

const MAGIC = 'SPRIGCK1';

export interface Checkpoint<M = unknown> {
  meta: M;
  arrays: Map<string, Float32Array>;
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
  writeSealed(path, chunks);
}

/** The checkpoint at `path`; undefined when there is none; a clear error when it is damaged. */
export function loadCheckpoint<M>(path: string, fix?: string): Checkpoint<M> | undefined {
  const restart = fix ?? `delete it to restart this run from scratch: rm '${path}'`;
  const buf = readSealed(path, restart);
  if (!buf) return undefined;
  const corrupt = (why: string) => new CorruptArtifact(`checkpoint ${path} is corrupt (${why})`, restart);
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

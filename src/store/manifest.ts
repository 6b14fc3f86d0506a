/**
 * One manifest per run directory: every artifact's sha-256 and size, so a flipped bit, a cut file or
 * a hand edit is found when the file is read instead of being reported as a result. A directory
 * without a manifest (a run stored before manifests) is unverified, never corrupt.
 *
 * Writes keep file and manifest consistent through a kill: the new digest goes in as `pending` beside
 * the old one, the file is renamed into place, then `pending` becomes the digest. At every moment the
 * file on disk matches one of the two.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeAtomic } from './atomic.js';
import { corruptFile, ioError } from './faults.js';
import { FILES, UNSEALED } from './names.js';

export interface Digest {
  sha256: string;
  bytes: number;
}

interface Entry extends Digest {
  pending?: Digest;
}

interface Manifest {
  version: 1;
  files: Record<string, Entry>;
}

export function digest(chunks: readonly Uint8Array[]): Digest {
  const h = createHash('sha256');
  let bytes = 0;
  for (const c of chunks) {
    h.update(c);
    bytes += c.byteLength;
  }
  return { sha256: h.digest('hex'), bytes };
}

/** The manifest of `dir`; undefined when it has none. */
export function readManifest(dir: string): Manifest | undefined {
  const path = join(dir, FILES.manifest);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('read', path, e);
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (e) {
    throw corruptFile(path, (e as Error).message);
  }
  if (typeof m?.files !== 'object' || m.files === null) throw corruptFile(path, 'it lists no files');
  return m;
}

const writeManifest = (dir: string, m: Manifest, durable = true) =>
  writeAtomic(join(dir, FILES.manifest), [Buffer.from(JSON.stringify(m, null, 1) + '\n')], { durable });

/** Writes `path` atomically and records its digest in its directory's manifest. */
export function writeSealed(path: string, chunks: Uint8Array[]): void {
  const dir = dirname(path);
  const name = basename(path);
  if (UNSEALED.has(name)) return writeAtomic(path, chunks);
  const d = digest(chunks);
  const m = readManifest(dir) ?? { version: 1, files: {} };
  const old = m.files[name] && { sha256: m.files[name].sha256, bytes: m.files[name].bytes };
  // A new file has no digest yet: bytes -1 matches nothing, and says the file may not have landed.
  m.files[name] = { ...(old ?? { sha256: '', bytes: -1 }), pending: d };
  writeManifest(dir, m);
  writeAtomic(path, chunks);
  m.files[name] = d;
  // Not synced: if a power loss undoes it, the pending digest above still matches the file.
  writeManifest(dir, m, false);
}

/** Drops a file from its manifest (before the file itself is removed). */
export function forget(path: string): void {
  const m = readManifest(dirname(path));
  if (!m?.files[basename(path)]) return;
  delete m.files[basename(path)];
  writeManifest(dirname(path), m);
}

/** Why `bytes`, read from `path`, is not what was written there; undefined when it is (or is unlisted). */
export function mismatch(
  path: string,
  bytes: Uint8Array,
  m = readManifest(dirname(path)),
): string | undefined {
  const e = m?.files[basename(path)];
  if (!e) return undefined;
  if (bytes.byteLength !== e.bytes && bytes.byteLength !== e.pending?.bytes)
    return `${bytes.byteLength} bytes where ${e.bytes < 0 ? e.pending?.bytes : e.bytes} were written`;
  const sha = digest([bytes]).sha256;
  if (sha !== e.sha256 && sha !== e.pending?.sha256) return 'its sha-256 does not match the manifest';
  return undefined;
}

/** Reads `path` and checks it against the manifest; undefined when the file does not exist. */
export function readSealed(path: string, fix?: string): Buffer | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('read', path, e);
  }
  const why = mismatch(path, buf);
  if (why) throw corruptFile(path, why, fix);
  return buf;
}

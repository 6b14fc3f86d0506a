/**
 * Reader for the IDX format of the MNIST family (LeCun's MNIST, Fashion-MNIST): a 4-byte magic
 * (0, 0, dtype, ndim), ndim big-endian uint32 dimensions, then the values. Gzip'd or raw.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { SprigError } from '../util/errors.js';

export interface IdxArray {
  dims: number[];
  /** The values, row-major (unsigned bytes: the only dtype the MNIST family uses). */
  data: Uint8Array;
}

export interface IdxReadOptions {
  /** Required number of dimensions (1 for labels, 3 for images). */
  ndim?: number;
  /** What the user should do when the file is bad (e.g. reinstall the package that provides it). */
  fix?: string;
}

const UBYTE = 0x08;
const DTYPE_NAMES: Record<number, string> = {
  0x08: 'ubyte',
  0x09: 'byte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double',
};
const DEFAULT_FIX = 're-download the file (or reinstall the package that provides it)';

/** Reads an IDX file, gunzipping it when it starts with the gzip magic (not trusting the extension). */
export function readIdx(path: string, opts: IdxReadOptions = {}): IdxArray {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new SprigError(
      `cannot read dataset file ${path}: ${(e as Error).message}`,
      opts.fix ?? DEFAULT_FIX,
    );
  }
  return parseIdx(maybeGunzip(buf, path, opts.fix), path, opts);
}

/** Gunzips when the buffer carries the gzip magic; a truncated or corrupt stream becomes a SprigError. */
export function maybeGunzip(buf: Buffer, path: string, fix?: string): Buffer {
  if (buf.length < 2 || buf[0] !== 0x1f || buf[1] !== 0x8b) return buf;
  // The gzip trailer holds the output size (mod 2^32): one output chunk of that size avoids re-copying.
  const size = buf.length >= 18 ? buf.readUInt32LE(buf.length - 4) : 0;
  const chunkSize = Math.min(Math.max(size + 1024, 64 * 1024), 256 * 1024 * 1024);
  try {
    return gunzipSync(buf, { chunkSize });
  } catch (e) {
    throw new SprigError(
      `dataset file ${path} is a corrupt or truncated gzip file (${(e as Error).message})`,
      fix ?? DEFAULT_FIX,
    );
  }
}

/** Parses an (already decompressed) IDX buffer; `path` only names the file in errors. */
export function parseIdx(buf: Uint8Array, path: string, opts: IdxReadOptions = {}): IdxArray {
  const fix = opts.fix ?? DEFAULT_FIX;
  const bad = (what: string) => new SprigError(`dataset file ${path} is not a valid IDX file: ${what}`, fix);
  if (buf.length < 4) throw bad(`only ${buf.length} bytes, too short for the header`);
  const [z0, z1, dtype, ndim] = [buf[0]!, buf[1]!, buf[2]!, buf[3]!];
  const magic = ((z0 << 24) | (z1 << 16) | (dtype << 8) | ndim) >>> 0;
  const magicHex = `0x${magic.toString(16).padStart(8, '0')}`;
  if (z0 !== 0 || z1 !== 0 || !(dtype in DTYPE_NAMES) || ndim === 0) {
    throw bad(`wrong magic number ${magicHex} (expected e.g. 0x00000801 for labels, 0x00000803 for images)`);
  }
  if (dtype !== UBYTE) {
    throw bad(
      `element type ${DTYPE_NAMES[dtype]} (magic ${magicHex}); only unsigned bytes (0x08) are supported`,
    );
  }
  if (opts.ndim !== undefined && ndim !== opts.ndim) {
    throw bad(`${ndim} dimensions (magic ${magicHex}), expected ${opts.ndim}`);
  }
  const header = 4 + 4 * ndim;
  if (buf.length < header) throw bad(`truncated header (${buf.length} bytes, need ${header})`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const expected = header + count;
  if (buf.length !== expected) {
    const how = buf.length < expected ? 'truncated' : 'has trailing bytes';
    throw bad(`${how}: ${buf.length} bytes, but dimensions [${dims.join(', ')}] need ${expected}`);
  }
  // A view, not a copy: the decompressed buffer is ours alone, and copying 47 MB costs time.
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + header, count) };
}

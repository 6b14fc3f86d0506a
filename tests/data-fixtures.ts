// Writers for tiny dataset files in the real on-disk formats, shared by the data tests.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** A fresh temp directory, removed when the process exits. */
export function tempDir(prefix = 'sprig-data-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** IDX bytes: magic 0x000008<ndim>, big-endian dims, then the ubyte values. */
export function idxBytes(dims: number[], data: Uint8Array | number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

export function writeIdx(path: string, dims: number[], data: Uint8Array | number[], gzip: boolean): void {
  const b = idxBytes(dims, data);
  writeFileSync(path, gzip ? gzipSync(b) : b);
}

/** Images whose pixel 0 is (index mod 256) and pixel 1 is floor(index / 256), so tests can tell them apart. */
export function taggedImages(n: number, h: number, w: number): Uint8Array {
  const x = new Uint8Array(n * h * w);
  for (let i = 0; i < n; i++) {
    x[i * h * w] = i % 256;
    x[i * h * w + 1] = Math.floor(i / 256);
    for (let p = 2; p < h * w; p++) x[i * h * w + p] = (i * 31 + p * 7) % 256;
  }
  return x;
}

/** A complete MNIST-format folder: nTrain/nTest tagged images, labels i mod 10. */
export function writeMnistDir(
  dir: string,
  nTrain: number,
  nTest: number,
  gzip: boolean,
  h = 28,
  w = 28,
): void {
  mkdirSync(dir, { recursive: true });
  const sfx = gzip ? '.gz' : '';
  const labels = (n: number) => Array.from({ length: n }, (_, i) => i % 10);
  writeIdx(join(dir, `train-images-idx3-ubyte${sfx}`), [nTrain, h, w], taggedImages(nTrain, h, w), gzip);
  writeIdx(join(dir, `train-labels-idx1-ubyte${sfx}`), [nTrain], labels(nTrain), gzip);
  writeIdx(join(dir, `t10k-images-idx3-ubyte${sfx}`), [nTest, h, w], taggedImages(nTest, h, w), gzip);
  writeIdx(join(dir, `t10k-labels-idx1-ubyte${sfx}`), [nTest], labels(nTest), gzip);
}

/**
 * One CIFAR record: label byte(s) then CHW pixels. Pixel (r, c) of channel ch is
 * (tag + ch * 50 + r + c) mod 256, so HWC conversion can be checked exactly.
 */
export function cifarPixel(tag: number, r: number, c: number, ch: number): number {
  return (tag + ch * 50 + r + c) % 256;
}

export function cifarRecord(labels: number[], tag: number): Buffer {
  const b = Buffer.alloc(labels.length + 3072);
  labels.forEach((l, i) => (b[i] = l));
  for (let ch = 0; ch < 3; ch++) {
    for (let r = 0; r < 32; r++) {
      for (let c = 0; c < 32; c++) b[labels.length + ch * 1024 + r * 32 + c] = cifarPixel(tag, r, c, ch);
    }
  }
  return b;
}

/** CIFAR-10 folder: 5 train batches of `perBatch` records and a test batch; record k overall has tag k, label k mod 10. */
export function writeCifar10Dir(dir: string, perBatch: number, nTest: number): void {
  mkdirSync(dir, { recursive: true });
  let k = 0;
  for (let b = 1; b <= 5; b++) {
    const recs = [];
    for (let i = 0; i < perBatch; i++, k++) recs.push(cifarRecord([k % 10], k));
    writeFileSync(join(dir, `data_batch_${b}.bin`), Buffer.concat(recs));
  }
  const test = Array.from({ length: nTest }, (_, i) => cifarRecord([i % 10], 1000 + i));
  writeFileSync(join(dir, 'test_batch.bin'), Buffer.concat(test));
}

/** CIFAR-100 folder: record i has coarse label i mod 20 and fine label (i * 7) mod 100. */
export function writeCifar100Dir(dir: string, nTrain: number, nTest: number): void {
  mkdirSync(dir, { recursive: true });
  const recs = (n: number, off: number) =>
    Buffer.concat(Array.from({ length: n }, (_, i) => cifarRecord([i % 20, (i * 7) % 100], off + i)));
  writeFileSync(join(dir, 'train.bin'), recs(nTrain, 0));
  writeFileSync(join(dir, 'test.bin'), recs(nTest, 500));
}

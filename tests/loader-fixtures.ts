/**
 * Hostile sparse files for the loader's fuzz tests (Node and Chromium): a real export, hand-made
 * files with valid CRCs (huge shapes, unknown formats, positions out of range, …) and seeded
 * mutations of the real one.
 */
import { createModel } from '../src/models/registry.js';
import { Rng } from '../src/util/rng.js';
import { artifactsOf, layersModelOf, setLayersWeights } from '../src/export/tfjs.js';
import { sparseExportOf } from '../src/export/sparse.js';
import { crc32, frame, HEADER_BYTES, type ValueFormat } from '../src/loader/format.js';
import { GREY, randomWeights } from './export-fixtures.js';

/** Kernel densities that make LeNet-5's tensors take all three layouts (dense, bit mask, index gaps). */
const DENSITY: Record<string, number> = { 'conv1.weight': 1, 'conv2.weight': 0.4, 'fc1.weight': 0.05 };

/** A LeNet-5 export with random weights, sparse by DENSITY (other kernels at 10 %). */
export async function realExport(values: ValueFormat): Promise<Uint8Array> {
  const m = createModel('mnist_lenet5', [28, 28, 1], 10);
  const w = randomWeights(m, 2);
  const rng = new Rng(3);
  for (const s of m.specs)
    if (s.prunable)
      w.weights.get(s.name)!.forEach((_, i, a) => rng.next() >= (DENSITY[s.name] ?? 0.1) && (a[i] = 0));
  const lm = await layersModelOf(m, GREY);
  setLayersWeights(lm, w);
  const bytes = sparseExportOf(m, await artifactsOf(lm), { values, int8Scale: 'channel' });
  lm.dispose();
  return bytes;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures edit manifests freely
type Json = any;

/** A file's manifest (parsed) and payload, trusting its header. */
export function split(bytes: Uint8Array): { manifest: Json; payload: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLen = view.getUint32(8, true);
  const json = new TextDecoder().decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + jsonLen));
  return { manifest: JSON.parse(json), payload: bytes.slice(HEADER_BYTES + jsonLen) };
}

/** A file of this manifest (an object, or raw text) and payload with valid CRCs: what a hand-made file can be. */
export function reframe(manifest: Json, payload: Uint8Array): Uint8Array {
  if (typeof manifest === 'object' && manifest && !Array.isArray(manifest))
    manifest = { ...manifest, payloadCrc32: crc32(payload) };
  const text = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
  return frame(text, payload);
}

export interface Hostile {
  name: string;
  bytes: Uint8Array;
  /** What its SparseFormatError must say. */
  error: RegExp;
  /** Only TF.js can tell (its topology): decodeSparse accepts it, loadSparseModel must not. */
  topology?: boolean;
}

/** A one-tensor file of hand-made positions/values bytes: shape [10], index gaps. */
function tiny(entry: Json, payload: number[]): Uint8Array {
  const e = { name: 't/kernel', shape: [10], layout: 'gaps', values: 'fp32', offset: 0, ...entry };
  return reframe(
    { format: 'sprig-sparse', version: 1, modelTopology: {}, weights: [e] },
    Uint8Array.from(payload),
  );
}

const f32 = (x: number) => [...new Uint8Array(Float32Array.of(x).buffer)];

/** Changes weight i of the real file's manifest (valid CRCs). */
function edit(good: Uint8Array, i: number, change: (e: Json, m: Json) => void): Uint8Array {
  const { manifest, payload } = split(good);
  change(manifest.weights[i], manifest);
  return reframe(manifest, payload);
}

/** Hand-made files: each must be refused quickly, with this message (valid CRCs unless named). */
export function hostileFiles(good: Uint8Array): Hostile[] {
  const { manifest, payload } = split(good);
  const at = (layout: string) => manifest.weights.findIndex((e: Json) => e.layout === layout);
  const over =
    /refused: its weights take .* as dense fp32 \(the largest, \S+, has shape \[\d+,\d+\]\), over the loader's limit of 256\.0 MiB \(maxBytes\)/;
  const header = (offset: number, value: number) => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(offset, value, true);
    return b;
  };
  const cases: Hostile[] = [
    ...['dense', 'bitmask', 'gaps'].map((layout) => ({
      name: `a [40000,40000] ${layout} tensor`,
      bytes: edit(good, at(layout), (e) => (e.shape = [40000, 40000])),
      error: over,
    })),
    { name: 'a shape past 2^53', bytes: edit(good, 0, (e) => (e.shape = [2 ** 40, 2 ** 40])), error: over },
    {
      name: 'fp64 values',
      bytes: edit(good, 0, (e) => (e.values = 'fp64')),
      error: /weights\[0\]\.values: Invalid option.*"fp32"\|"fp16"\|"int8".*got "fp64"/,
    },
    {
      name: 'an unknown layout',
      bytes: edit(good, 0, (e) => (e.layout = 'csr')),
      error: /weights\[0\]\.layout: Invalid option.*got "csr"/,
    },
    {
      name: 'no weights',
      bytes: reframe({ ...manifest, weights: undefined }, payload),
      error: /weights: Invalid input: expected array/,
    },
    {
      name: 'a negative nnz',
      bytes: edit(good, 1, (e) => (e.nnz = -1)),
      error: /weights\[1\]\.nnz: Too small/,
    },
    {
      name: 'a fractional offset',
      bytes: edit(good, 1, (e) => (e.offset = 1.5)),
      error: /weights\[1\]\.offset: Invalid input: expected int/,
    },
    {
      name: 'a rank-9 shape',
      bytes: edit(good, 0, (e) => (e.shape = Array(9).fill(1))),
      error: /weights\[0\]\.shape: Too big/,
    },
    {
      name: 'a manifest that is not JSON',
      bytes: reframe('{"format": "sprig-sparse", ', payload),
      error: /manifest is not JSON/,
    },
    {
      name: 'a manifest that is an array',
      bytes: reframe('[1, 2]', payload),
      error: /manifest does not fit the format: it: Invalid input: expected object/,
    },
    {
      name: 'another format',
      bytes: reframe({ ...manifest, format: 'onnx' }, payload),
      error: /format: Invalid input: expected "sprig-sparse"/,
    },
    {
      name: 'overlapping tensors',
      bytes: edit(good, 1, (e) => (e.offset = 0)),
      error: /tensor \S+ starts at payload byte 0, but the tensor before it ends at/,
    },
    {
      name: 'more stored than the shape holds',
      bytes: tiny({ nnz: 11, positionBytes: 11, valueBytes: 44 }, Array(55).fill(0)),
      error: /stores 11 elements, more than its shape \[10\] holds/,
    },
    {
      name: 'value bytes that do not match nnz',
      bytes: edit(good, at('bitmask'), (e) => (e.valueBytes += 1)),
      error: /declares \d+ bytes of values for \d+ fp16 values/,
    },
    {
      name: 'an index out of range',
      bytes: tiny({ nnz: 1, positionBytes: 1, valueBytes: 4 }, [20, ...f32(1)]),
      error: /positions reach element 20 of its 10/,
    },
    {
      name: 'index gaps ending inside a long gap',
      bytes: tiny({ nnz: 1, positionBytes: 2, valueBytes: 4 }, [0, 255, ...f32(1)]),
      error: /positions end inside a long gap/,
    },
    {
      name: 'a bit mask with bits past its end',
      bytes: tiny({ layout: 'bitmask', nnz: 1, positionBytes: 2, valueBytes: 4 }, [1, 0x80, ...f32(1)]),
      error: /positions mark bits past its end/,
    },
    {
      name: 'int8 with 7 scales',
      bytes: tiny(
        { values: 'int8', layout: 'dense', nnz: 10, positionBytes: 0, valueBytes: 10, scaleCount: 7 },
        Array(38).fill(1),
      ),
      error: /has 7 scales \(int8 takes 1 or one per output channel, 10/,
    },
    {
      name: 'an int8 scale that is NaN',
      bytes: tiny(
        { values: 'int8', layout: 'dense', nnz: 10, positionBytes: 0, valueBytes: 10, scaleCount: 1 },
        [...f32(NaN), ...Array(10).fill(1)],
      ),
      error: /scale that is not a finite number/,
    },
    {
      name: 'tensors shorter than the payload',
      bytes: reframe(manifest, Uint8Array.from([...payload, 0, 0])),
      error: /its tensors take \d+ of the payload's \d+ bytes/,
    },
    {
      name: 'a truncated file',
      bytes: good.subarray(0, good.length - 100),
      error: /truncated: \d+ of \d+ bytes/,
    },
    { name: 'bytes after its end', bytes: Uint8Array.from([...good, 0]), error: /1 bytes after its end/ },
    {
      name: 'a manifest of 4 GiB declared',
      bytes: header(8, 0xffffffff),
      error: /manifest declares 4294967295 bytes \(at most/,
    },
    {
      name: 'a payload of 4 GiB declared',
      bytes: header(12, 0xffffffff),
      error: /truncated: \d+ of \d+ bytes/,
    },
    {
      name: 'format version 2',
      bytes: header(4, 2),
      error: /has format version 2; this loader reads version 1/,
    },
    {
      name: 'a flipped payload bit',
      bytes: ((b) => ((b[b.length - 1]! ^= 1), b))(good.slice()),
      error: /weights are corrupted \(CRC mismatch\)/,
    },
    {
      name: 'a foreign file',
      bytes: new TextEncoder().encode('<!doctype html><title>404</title>'),
      error: /does not start with 'SPRS'/,
    },
    {
      name: 'a topology TF.js cannot build',
      bytes: reframe({ ...manifest, modelTopology: { class_name: 'Nope' } }, payload),
      error: /TF\.js cannot build a model from/,
      topology: true,
    },
    {
      name: 'a weight missing for its topology',
      bytes: reframe(
        { ...manifest, weights: manifest.weights.slice(0, -1) },
        payload.subarray(0, manifest.weights.at(-1).offset),
      ),
      error: /TF\.js cannot build a model from .*weights are not set/,
      topology: true,
    },
  ];
  return cases;
}

/** Values a hand-edited manifest field may take. */
const NASTY: unknown[] = [
  -1,
  0,
  1,
  7,
  1.5,
  255,
  2 ** 31,
  2 ** 32 + 1,
  2 ** 53,
  1e308,
  null,
  'x',
  '',
  [],
  [40000, 40000],
  {},
  true,
];
const FIELDS = [
  'name',
  'shape',
  'layout',
  'values',
  'nnz',
  'scaleCount',
  'offset',
  'positionBytes',
  'valueBytes',
];

/**
 * Seeded mutations of a real file: raw bit flips and cuts (CRCs broken), and with valid CRCs, a
 * manifest field set to a nasty value or deleted, or payload bytes changed. Some are valid files.
 */
export function mutations(
  good: Uint8Array,
  seed: number,
  count: number,
): { name: string; bytes: Uint8Array }[] {
  const rng = new Rng(seed);
  const pick = <T>(a: readonly T[]) => a[rng.int(a.length)]!;
  return Array.from({ length: count }, (_, k) => {
    const kind = k % 4;
    if (kind === 0) {
      const b = good.slice();
      const i = rng.int(b.length);
      b[i]! ^= 1 << rng.int(8);
      return { name: `bit flip at byte ${i}`, bytes: b };
    }
    if (kind === 1) {
      const n = rng.int(good.length);
      return { name: `cut to ${n} bytes`, bytes: good.slice(0, n) };
    }
    const { manifest, payload } = split(good);
    if (kind === 2) {
      const i = rng.int(manifest.weights.length);
      const field = pick(FIELDS);
      const value = rng.next() < 0.1 ? undefined : pick(NASTY);
      manifest.weights[i][field] = value;
      return { name: `weights[${i}].${field} = ${JSON.stringify(value)}`, bytes: reframe(manifest, payload) };
    }
    const i = rng.int(payload.length);
    payload[i] = rng.int(256);
    return { name: `payload byte ${i} = ${payload[i]} (CRC kept valid)`, bytes: reframe(manifest, payload) };
  });
}

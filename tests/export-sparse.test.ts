/**
 * sprig's sparse format: fp16 conversion, layouts (bit mask, index gaps incl. long gaps, dense),
 * int8 scales, corruption and truncation errors, and `sprig export` end to end with its errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSparse, type SparseTensorInput } from '../src/export/sparse.js';
import { decodeSparse, densify } from '../src/loader/decode.js';
import { fromHalf, toHalf, SparseFormatError } from '../src/loader/format.js';
import { zooBody } from '../src/export/zoo-layers.js';
import { createModel } from '../src/models/registry.js';
import { Rng } from '../src/util/rng.js';
import { sprig, sprigJson, tempRoot } from './helpers.js';

test('fp16: exact for halves, round to nearest even, overflow and subnormals', () => {
  for (const x of [0, 1, -2, 0.5, 65504, 2 ** -24, -(2 ** -14)]) assert.equal(fromHalf(toHalf(x)), x);
  assert.equal(toHalf(1 + 2 ** -11), toHalf(1)); // tie → even
  assert.equal(fromHalf(toHalf(1 + 3 * 2 ** -11)), 1 + 2 ** -9); // tie → even (up)
  assert.equal(fromHalf(toHalf(1e6)), Infinity);
  assert.equal(fromHalf(toHalf(1e-9)), 0);
  const rng = new Rng(3);
  for (let i = 0; i < 1000; i++) {
    const x = rng.normal();
    assert.ok(Math.abs(fromHalf(toHalf(x)) - x) <= Math.abs(x) * 2 ** -11 + 2 ** -25);
  }
});

function sparseTensor(name: string, shape: number[], density: number, seed: number): SparseTensorInput {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: n }, () => (rng.next() < density ? rng.normal() : 0));
  return { name, shape, values, prunable: true };
}

const topology = { class_name: 'Sequential', config: { layers: [] } };

test('layouts: the cheapest per tensor; fp32 values round-trip exactly, long gaps included', () => {
  const tensors = [
    sparseTensor('a/kernel', [100, 30], 0.3, 1), // bit mask: 375 B < gaps ~900 B
    sparseTensor('b/kernel', [300, 100], 0.02, 2), // index gaps, many over 255
    sparseTensor('c/kernel', [20, 10], 1, 3), // dense
    { name: 'c/bias', shape: [10], values: new Float32Array(10).fill(0.5), prunable: false },
  ];
  tensors[1]!.values.fill(0, 0, 2000); // a gap of ≥ 2000: eight 255s
  const bytes = encodeSparse(tensors, { values: 'fp32', int8Scale: 'channel', modelTopology: topology });
  const d = decodeSparse(bytes);
  assert.deepEqual(
    d.manifest.weights.map((w) => [w.layout, w.values]),
    [
      ['bitmask', 'fp32'],
      ['gaps', 'fp32'],
      ['dense', 'fp32'],
      ['dense', 'fp32'],
    ],
  );
  d.tensors.forEach((t, i) => assert.deepEqual(densify(t), tensors[i]!.values));
});

test('fp16 and int8 (per channel and per tensor) stay within their rounding error', () => {
  const t = sparseTensor('k/kernel', [50, 8], 0.2, 4);
  for (let i = 0; i < t.values.length; i++) if (i % 8 === 3) t.values[i]! *= 20; // one loud channel
  const fp16 = densify(
    decodeSparse(encodeSparse([t], { values: 'fp16', int8Scale: 'channel', modelTopology: topology }))
      .tensors[0]!,
  );
  t.values.forEach((v, i) => assert.ok(Math.abs(fp16[i]! - v) <= Math.abs(v) * 2 ** -11));
  for (const int8Scale of ['channel', 'tensor'] as const) {
    const d = decodeSparse(encodeSparse([t], { values: 'int8', int8Scale, modelTopology: topology }));
    const scales = d.tensors[0]!.scales!;
    assert.equal(scales.length, int8Scale === 'channel' ? 8 : 1);
    const back = densify(d.tensors[0]!);
    t.values.forEach((v, i) =>
      assert.ok(Math.abs(back[i]! - v) <= scales[scales.length === 1 ? 0 : i % 8]! / 2 + 1e-6),
    );
  }
});

test('a corrupted, truncated or foreign file gets an error that says so', () => {
  const good = encodeSparse([sparseTensor('a/kernel', [40, 40], 0.1, 5)], {
    values: 'fp16',
    int8Scale: 'channel',
    modelTopology: topology,
  });
  const flip = (at: number) => {
    const b = good.slice();
    b[at]! ^= 0x10;
    return b;
  };
  const cases: [Uint8Array, RegExp][] = [
    [good.subarray(0, good.length - 7), /truncated/],
    [good.subarray(0, 10), /truncated/],
    [flip(good.length - 3), /weights are corrupted/],
    [flip(30), /manifest is corrupted/],
    [flip(0), /does not start with 'SPRS'/],
  ];
  for (const [bytes, re] of cases)
    assert.throws(
      () => decodeSparse(bytes, 'model.sprig'),
      (e: Error) => e instanceof SparseFormatError && re.test(e.message) && /model\.sprig/.test(e.message),
    );
});

test('a model with no TF.js form is named in the error', () => {
  const m = { ...createModel('mnist_lenet_300_100', [28, 28, 1], 10), name: 'my_custom_net' };
  assert.throws(
    () => zooBody(m, null as never),
    /'my_custom_net' cannot be expressed as a TF.js LayersModel/,
  );
});

test('sprig export: tfjs and sparse (fp16, int8) of a sparse run, and its errors', () => {
  const root = tempRoot();
  const run = sprigJson<{ runDir: string; testAccuracy: number }>([
    'dst',
    '--method',
    'rigl',
    '--sparsity',
    '0.9',
    '--subset',
    '512',
    '--train-steps',
    '12it',
    '--root',
    root,
    '--quiet',
  ]);
  const tfjs = sprigJson<Record<string, number>>([
    'export',
    run.runDir,
    '--format',
    'tfjs',
    '--out',
    join(root, 'tfjs'),
  ]);
  assert.equal(tfjs.exportTestAccuracy, run.testAccuracy);
  assert.equal(tfjs.agreement, 1);
  const model = JSON.parse(readFileSync(join(root, 'tfjs', 'model.json'), 'utf8'));
  assert.equal(model.modelTopology.config.layers[1].class_name, 'Rescaling'); // the input normalisation
  for (const values of ['fp16', 'int8']) {
    const r = sprigJson<Record<string, number>>([
      'export',
      run.runDir,
      '--format',
      'sparse',
      '--values',
      values,
      '--out',
      join(root, `m.${values}.sprig`),
    ]);
    assert.ok(r.sizeRatio < (values === 'fp16' ? 0.1 : 0.07), `${values}: ${r.sizeRatio}`);
    assert.ok(Math.abs(r.exportTestAccuracy! - run.testAccuracy) <= (values === 'fp16' ? 0.001 : 0.005));
  }
  const bad = (args: string[], re: RegExp) => {
    const r = sprig([...args, '--root', root]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, re);
  };
  bad(
    ['export', run.runDir, '--format', 'onnx'],
    /unknown export format 'onnx'.*\n.*fix: use one of: tfjs, sparse/,
  );
  bad(['export', run.runDir, '--format', 'sparse', '--values', 'fp8'], /unknown value format 'fp8'/);
  bad(['export', 'no_such_run'], /no run 'no_such_run'/);
  const unfinished = join(root, 'train_unfinished');
  mkdirSync(unfinished);
  writeFileSync(join(unfinished, 'hparams.json'), '{}');
  bad(['export', 'train_unfinished'], /has not finished/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyMasks,
  checkMasks,
  countActive,
  denseMasks,
  density,
  deserialiseMasks,
  packMask,
  serialiseMasks,
  sparsityReport,
  unpackMask,
} from '../src/sparsity/mask.js';
import { SprigError } from '../src/util/errors.js';

import { bias, dense } from './spec-fixtures.js';
const specs = [
  dense('fc1.weight', 3, 4),
  bias('fc1.bias', 4),
  dense('fc2.weight', 4, 2, true),
  bias('fc2.bias', 2),
];

test('denseMasks covers prunable weights only, all ones', () => {
  const m = denseMasks(specs);
  assert.deepEqual([...m.keys()], ['fc1.weight', 'fc2.weight']);
  assert.equal(m.get('fc1.weight')!.length, 12);
  assert.equal(density(m.get('fc2.weight')!), 1);
});

test('applyMasks zeroes masked weights in place and leaves the rest', () => {
  const w = new Map([
    ['fc1.weight', Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])],
    ['fc1.bias', Float32Array.from([1, 1, 1, 1])],
  ]);
  const masks = new Map([['fc1.weight', Float32Array.from([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0])]]);
  const out = applyMasks(w, masks);
  assert.equal(out, w);
  assert.deepEqual([...w.get('fc1.weight')!], [1, 0, 3, 0, 5, 0, 7, 0, 9, 0, 11, 0]);
  assert.deepEqual([...w.get('fc1.bias')!], [1, 1, 1, 1]);
  assert.throws(() => applyMasks(w, new Map([['fc1.weight', new Float32Array(3)]])), SprigError);
});

test('sparsityReport: per layer, prunable total, and all params with biases', () => {
  const m = denseMasks(specs);
  m.get('fc1.weight')!.fill(0, 0, 9); // 3 of 12 active
  m.get('fc2.weight')![0] = 0; // 7 of 8 active
  const r = sparsityReport(specs, m);
  assert.deepEqual(
    r.layers.map((l) => [l.name, l.total, l.active]),
    [
      ['fc1.weight', 12, 3],
      ['fc2.weight', 8, 7],
    ],
  );
  assert.equal(r.layers[0]!.density, 0.25);
  assert.equal(r.total, 20);
  assert.equal(r.active, 10);
  assert.equal(r.density, 0.5);
  assert.deepEqual(r.all, { total: 26, active: 16, density: 16 / 26 });
});

test('packMask/unpackMask round trip, 1 bit per weight', () => {
  const m = Float32Array.from({ length: 13 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const p = packMask(m);
  assert.equal(p.length, 2);
  assert.equal(p[0], 0b01001001);
  assert.deepEqual([...unpackMask(p, 13)], [...m]);
});

test('serialiseMasks/deserialiseMasks round trip keeps names, order and values', () => {
  const m = denseMasks(specs);
  m.get('fc1.weight')!.set([0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1]);
  const bytes = serialiseMasks(m);
  assert.ok(bytes.length < 80);
  const back = deserialiseMasks(bytes);
  assert.deepEqual([...back.keys()], [...m.keys()]);
  for (const [k, v] of m) assert.deepEqual([...back.get(k)!], [...v]);
  // works on a view that does not start at offset 0 (e.g. a slice of a checkpoint file)
  const padded = new Uint8Array(bytes.length + 5);
  padded.set(bytes, 5);
  assert.equal(countActive(deserialiseMasks(padded.subarray(5)).get('fc1.weight')!), 5);
  assert.throws(
    () => deserialiseMasks(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])),
    /not a sprig mask file/,
  );
});

test('checkMasks names the layer with a non-binary or missing mask', () => {
  const m = denseMasks(specs);
  checkMasks(specs, m);
  m.get('fc2.weight')![3] = 0.5;
  assert.throws(() => checkMasks(specs, m), /fc2\.weight.*0\.5/);
  m.delete('fc2.weight');
  assert.throws(() => checkMasks(specs, m), /no mask for prunable weight 'fc2.weight'/);
});

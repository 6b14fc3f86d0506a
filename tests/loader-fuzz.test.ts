/**
 * The loader against hostile files in Node: hand-made files with valid CRCs and seeded mutations of a
 * real export. Each is refused quickly with a SparseFormatError naming the file, or (a mutation that
 * is still a valid file) decodes to tensors that fit their manifest; nothing allocates gigabytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-cpu';
import { decodeSparse, loadSparseModel, SparseFormatError, type DecodedModel } from '../src/loader/index.js';
import { hostileFiles, mutations, realExport } from './loader-fixtures.js';

/** Per file; decoding a good LeNet-5 file takes a few ms. A hang or a gigabyte allocation takes far longer. */
const QUICK_MS = 2000;

async function refusal(load: () => unknown): Promise<{ error?: Error; ms: number }> {
  const t0 = performance.now();
  try {
    await load();
    return { ms: performance.now() - t0 };
  } catch (e) {
    return { error: e as Error, ms: performance.now() - t0 };
  }
}

/** A decode that succeeded must be what its manifest says: nnz ascending indices below the size. */
function assertConsistent(d: DecodedModel, name: string): void {
  assert.equal(d.tensors.length, d.manifest.weights.length, name);
  for (const t of d.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    assert.equal(t.indices.length, t.values.length, name);
    for (let j = 0; j < t.indices.length; j++)
      assert.ok(t.indices[j]! < n && (j === 0 || t.indices[j]! > t.indices[j - 1]!), `${name}: ${t.name}`);
  }
}

test('hand-made hostile files (valid CRCs) are each refused at once with a named error', async () => {
  const good = await realExport('fp16');
  const cases = hostileFiles(good);
  for (const c of cases) {
    const decode = await refusal(() => decodeSparse(c.bytes, 'evil.sprig'));
    const load = await refusal(() => loadSparseModel(c.bytes, { name: 'evil.sprig' }));
    if (c.topology) assert.equal(decode.error, undefined, `${c.name}: decodes; only TF.js can tell`);
    for (const r of c.topology ? [load] : [decode, load]) {
      assert.ok(r.error instanceof SparseFormatError, `${c.name}: ${r.error?.stack ?? 'loaded'}`);
      assert.match(r.error.message, /^(TF\.js cannot build a model from )?evil\.sprig/, c.name);
      assert.match(r.error.message, c.error, c.name);
      assert.doesNotMatch(r.error.message, /\n/, `${c.name}: one line`);
      assert.ok(r.ms < QUICK_MS, `${c.name}: ${r.ms.toFixed(0)} ms`);
    }
  }
  assert.ok(cases.length >= 25);
});

test('the size limit is an option: a model over it loads when the caller raises it', async () => {
  const good = await realExport('int8');
  const small = { maxBytes: 1000 };
  assert.throws(
    () => decodeSparse(good, 'm.sprig', small),
    /m\.sprig is refused: its weights take .* over the loader's limit of 0\.0 MiB \(maxBytes\)\. If you trust the file, load it with a larger maxBytes option\./,
  );
  const model = await loadSparseModel(good, { maxBytes: 10 * 2 ** 20 });
  assert.equal(model.layers.length > 0, true);
  model.dispose();
});

test('seeded mutations of a real export: refused with a named error, or decoded to consistent tensors', async () => {
  for (const [values, seed] of [
    ['fp16', 1],
    ['int8', 2],
    ['fp32', 3],
  ] as const) {
    const good = await realExport(values);
    let refused = 0;
    for (const m of mutations(good, seed, 160)) {
      const name = `${values} ${m.name}`;
      const r = await refusal(() => decodeSparse(m.bytes, 'fuzz.sprig'));
      assert.ok(r.ms < QUICK_MS, `${name}: ${r.ms.toFixed(0)} ms`);
      if (r.error) {
        assert.ok(r.error instanceof SparseFormatError, `${name}: ${r.error.stack}`);
        assert.match(r.error.message, /^fuzz\.sprig /, name);
        refused++;
        continue;
      }
      assertConsistent(decodeSparse(m.bytes), name);
      const load = await refusal(async () =>
        (await loadSparseModel(m.bytes, { name: 'fuzz.sprig' })).dispose(),
      );
      assert.ok(!load.error || load.error instanceof SparseFormatError, `${name}: ${load.error?.stack}`);
    }
    assert.ok(refused >= 80, `${values}: only ${refused} of 160 refused`); // every flip and cut, at least
  }
  // the whole process never held gigabytes (a [40000,40000] tensor alone is 6.4 GB)
  assert.ok(process.resourceUsage().maxRSS < 1.5 * 2 ** 20, `peak RSS ${process.resourceUsage().maxRSS} KiB`);
});

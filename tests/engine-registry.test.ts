/**
 * The engine's shape: no import cycles in src/engine, no kernel registered by importing a module
 * (only loadNative() registers, from the lists in kernels/register.ts), every sprig kernel name
 * registered once the engine loads, and the addon's options objects checked with clear errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { engineStatus, tf } from '../src/engine/index.js';
import { nativeAddon } from '../src/engine/native.js';
import { SPRIG_KERNELS } from '../src/engine/kernels/names.js';

const ENGINE = resolve('src/engine');
const walk = (d: string): string[] =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : [],
  );

/** Relative imports (type-only ones too) of each engine file, as absolute .ts paths. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of walk(ENGINE)) {
    const src = readFileSync(file, 'utf8');
    const deps = [...src.matchAll(/(?:import|export)[^'";]*?from\s+'(\.[^']+)'/g)].map((m) =>
      resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')),
    );
    graph.set(
      file,
      deps.filter((d) => d.startsWith(ENGINE)),
    );
  }
  return graph;
}

test('src/engine has no import cycles', () => {
  const graph = importGraph();
  assert.ok(graph.size > 10, `found only ${graph.size} engine files`);
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(ENGINE, p)).join(' → '));
      return;
    }
    state.set(f, 'open');
    for (const d of graph.get(f) ?? []) visit(d, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});

test('importing the engine modules registers no kernel and no gradient; loadNative() does', () => {
  // index.ts is the engine's entry point (it loads the engine); every other module only defines.
  const modules = walk(ENGINE).filter((f) => !f.endsWith('/index.ts'));
  const child = `
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
const names = () => tf.getKernelsForBackend('cpu').map((k) => k.kernelName).sort().join();
const before = names();
const relu = tf.getGradient('Relu');
${modules.map((m) => `await import(${JSON.stringify(m)});`).join('\n')}
const afterImport = names();
const { loadNative } = await import(${JSON.stringify(join(ENGINE, 'native.ts'))});
loadNative();
console.log(JSON.stringify({
  same: before === afterImport,
  reluSame: tf.getGradient('Relu') === relu,
  ceGradient: tf.getGradient('SprigSoftmaxCrossEntropy') !== undefined,
  sparseGradients: ['SprigSparseDense', 'SprigSparseConv2D'].every((n) => tf.getGradient(n) !== undefined),
  added: tf.getKernelsForBackend('cpu').map((k) => k.kernelName).filter((n) => n.startsWith('Sprig')).sort(),
}));
`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], {
    encoding: 'utf8',
    env: { ...process.env, SPRIG_NATIVE: '0' },
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  assert.equal(out.same, true, 'an engine module registered a kernel when imported');
  assert.equal(out.reluSame, true, 'an engine module replaced a gradient when imported');
  // without the addon, loadNative() registers sprig's JS kernels and their gradients, the sparse
  // layers' among them (the table in register.ts; they used to register themselves on first use)
  assert.equal(out.ceGradient, true);
  assert.equal(out.sparseGradients, true);
  assert.deepEqual(
    out.added,
    [
      SPRIG_KERNELS.batchNormTrain,
      SPRIG_KERNELS.batchNormTrainGrad,
      SPRIG_KERNELS.softmaxCrossEntropy,
      SPRIG_KERNELS.sparseConv2D,
      SPRIG_KERNELS.sparseDense,
    ].sort(),
  );
});

const status = engineStatus();
const skip = status.engine === 'native' ? false : `native engine not active: ${status.reason ?? 'unknown'}`;

test('with the addon every sprig kernel is registered, and every listed kernel exists', { skip }, () => {
  for (const name of Object.values(SPRIG_KERNELS)) assert.ok(tf.getKernel(name, 'cpu'), name);
  for (const label of status.kernels) {
    const name = label.split(' ')[0]!;
    assert.ok(tf.getKernel(name, 'cpu'), `${name} is listed but not registered`);
  }
});

test('the addon checks its options objects and says what is wrong', { skip }, () => {
  const nat = nativeAddon()!;
  const a = new Float32Array(6),
    b = new Float32Array(6),
    c = new Float32Array(4);
  nat.matmul(c, a, b, null, { m: 2, n: 2, k: 3 });
  const call = (f: () => void): Error => {
    try {
      f();
    } catch (e) {
      return e as Error;
    }
    assert.fail('no error');
  };
  const missing = call(() => nat.matmul(c, a, b, null, { n: 2, k: 3 } as never));
  assert.ok(missing instanceof TypeError);
  assert.equal(missing.message, "matmul: option 'm' must be an integer >= 0 (got undefined)");
  const fraction = call(() => nat.matmul(c, a, b, null, { m: 2, n: 2, k: 1.5 }));
  assert.match(fraction.message, /option 'k' must be an integer >= 0 \(got 1\.5/);
  const short = call(() => nat.matmul(c, a, b, null, { m: 2, n: 2, k: 4 }));
  assert.ok(short instanceof RangeError);
  assert.match(short.message, /^matmul: C, A or B is shorter/);
  // the old positional form is refused by name, not misread
  const positional = call(() => (nat.sgd as (...x: unknown[]) => void)(a, b, null, null, 0.1, 0, 0, false));
  assert.equal(positional.message, 'sgd: argument 4 must be an options object (got 0.100000)');
  const flag = call(() =>
    nat.sgd(a, b, null, null, { lr: 0.1, momentum: 0, weightDecay: 0, nesterov: 1 as never }),
  );
  assert.equal(flag.message, "sgd: option 'nesterov' must be true or false (got 1.000000)");
  // a length mismatch is an exception in JS (it used to abort the process: std::terminate)
  const lengths = call(() =>
    nat.sgd(a, new Float32Array(5), null, null, { lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false }),
  );
  assert.equal(lengths.message, 'sgd: arrays must have the same length');
  const geometry = {
    batchSize: 1,
    inHeight: 4,
    inWidth: 4,
    inChannels: 1,
    outHeight: 2,
    outWidth: 2,
    filterHeight: 2,
    filterWidth: 2,
    strideHeight: 2,
    strideWidth: 2,
    padTop: 0,
    padLeft: 0,
  };
  const pooled = new Float32Array(4);
  nat.maxPool(
    pooled,
    Float32Array.from({ length: 16 }, (_, i) => i),
    geometry,
  );
  assert.deepEqual([...pooled], [5, 7, 13, 15]);
  const badPool = call(() => nat.maxPool(pooled, new Float32Array(15), geometry));
  assert.equal(badPool.message, 'maxPool: an input-sized array does not match the geometry');
  // the sparse kernels too: arrays, then one options object (they took 15 positional arguments)
  const sparse = nat as unknown as Record<string, (...x: unknown[]) => unknown>;
  const db = new Float32Array(2),
    dyT = new Float32Array(32);
  sparse.sparseDb!(db, dyT, { B: 1, N: 2 });
  assert.equal(
    call(() => sparse.sparseDb!(db, dyT, 1, 2)).message,
    'sparseDb: argument 2 must be an options object (got 1.000000)',
  );
  assert.equal(
    call(() => sparse.sparseDb!(db, dyT, { B: 1 })).message,
    "sparseDb: option 'N' must be an integer >= 0 (got undefined)",
  );
  assert.deepEqual(
    sparse.sparseConvPackedSizes!({
      ...geometry,
      padBottom: 0,
      padRight: 0,
      dilationHeight: 1,
      dilationWidth: 1,
      outChannels: 1,
    }),
    [16 * 16, 4 * 4 * 16],
  );
  assert.equal(
    call(() => sparse.sparseConvPackedSizes!([1, 4, 4, 1, 2, 2, 1, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1])).message,
    'sparseConvPackedSizes: argument 0 must be an options object (got an array)',
  );
});

/**
 * `npm run bench:browser-sparse`: sprig's standalone sparse runtime against TF.js (CPU and WASM
 * backends, dense export) in Debian's headless Chromium, at batch 1 and 64, on 90 % sparse models
 * trained briefly with the real CLI (cached runs) and exported with `sprig export`. Prints the
 * README's table (medians of interleaved blocks, ratios from the same run), the bundle and model
 * sizes, and writes bench/results/browser-sparse.json. Needs `npm run build` first.
 *
 *   npm run bench:browser-sparse [-- --rounds 21]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadDataset } from '../src/data/registry.js';
import { pixels01 } from '../src/export/run.js';
import { loadSprig } from '../src/loader/runtime/index.js';
import { site, type Files } from './chromium.js';
import { BENCH_PAGE } from './browser-sparse-page.js';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'bench/results/browser-sparse');
const TF = join(ROOT, 'node_modules/@tensorflow');
const CLI = join(ROOT, 'dist/cli/main.js');
const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 21);
const BATCHES = [1, 64];

/** The models: a zoo MLP and a zoo conv net, 90 % sparse (RigL, ERK), trained briefly on Fashion-MNIST. */
const MODELS = [
  { key: 'lenet300', label: 'LeNet-300-100', model: 'mnist_lenet_300_100', steps: '2ep' },
  { key: 'lenet5', label: 'LeNet-5 (conv)', model: 'mnist_lenet5', steps: '1ep' },
];
type Spec = (typeof MODELS)[number];

const sprig = (...args: string[]) =>
  JSON.parse(execFileSync(process.execPath, [CLI, ...args, '--json', '--quiet'], { encoding: 'utf8' }));

/** Trains (or finds the cached run) and exports both formats with the CLI. */
function exportModel(s: Spec) {
  const root = join(ROOT, 'runs');
  const run = sprig('dst', '--root', root, '--model', s.model, '--sparsity', '0.9', '--train-steps', s.steps);
  const sparse = sprig(
    'export',
    run.runDir,
    '--root',
    root,
    '--format',
    'sparse',
    '--out',
    join(OUT, `${s.key}.sprig`),
  );
  sprig('export', run.runDir, '--root', root, '--format', 'tfjs', '--out', join(OUT, s.key), '--no-evaluate');
  return { runId: run.runId as string, exportTestAccuracy: sparse.exportTestAccuracy as number };
}

/** The runtime's test accuracy in Node (all 10,000 test images), to show it computes the export's model. */
async function runtimeAccuracy(s: Spec): Promise<number> {
  const ds = loadDataset({ name: 'fashion_mnist' });
  const test = pixels01(ds.test, ds);
  const model = await loadSprig(readFileSync(join(OUT, `${s.key}.sprig`)));
  const y = model.predict(test.x);
  let right = 0;
  for (let i = 0; i < test.n; i++) {
    const row = y.subarray(i * 10, i * 10 + 10);
    if (row.indexOf(Math.max(...row)) === test.y[i]) right++;
  }
  return right / test.n;
}

const sizes = (files: string[]) => {
  const raw = files.map((f) => readFileSync(f));
  return {
    raw: raw.reduce((a, b) => a + b.length, 0),
    gzip: raw.reduce((a, b) => a + gzipSync(b, { level: 9 }).length, 0),
  };
};

function bundleSizes() {
  const tf = (p: string) => join(TF, p);
  return {
    'sprig runtime, ESM (kernels inlined)': sizes([join(ROOT, 'dist/loader/sprig-runtime.esm.js')]),
    'sprig runtime, UMD (kernels inlined)': sizes([join(ROOT, 'dist/loader/sprig-runtime.umd.js')]),
    'TF.js core + CPU + layers (UMD, min)': sizes(
      [
        'tfjs-core/dist/tf-core.min.js',
        'tfjs-backend-cpu/dist/tf-backend-cpu.min.js',
        'tfjs-layers/dist/tf-layers.min.js',
      ].map(tf),
    ),
    'TF.js core + WASM + layers (UMD, min, + SIMD .wasm)': sizes(
      [
        'tfjs-core/dist/tf-core.min.js',
        'tfjs-backend-wasm/dist/tf-backend-wasm.min.js',
        'tfjs-layers/dist/tf-layers.min.js',
        'tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
      ].map(tf),
    ),
  };
}

function files(): Files {
  const f: Files = {
    '/': BENCH_PAGE,
    '/sprig-runtime.umd.js': readFileSync(join(ROOT, 'dist/loader/sprig-runtime.umd.js')),
  };
  const tf: [string, string][] = [
    ['tf-core.min.js', 'tfjs-core'],
    ['tf-backend-cpu.min.js', 'tfjs-backend-cpu'],
    ['tf-layers.min.js', 'tfjs-layers'],
    ['tf-backend-wasm.min.js', 'tfjs-backend-wasm'],
    ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm'],
    ['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm'],
    ['tfjs-backend-wasm-threaded-simd.wasm', 'tfjs-backend-wasm'],
  ];
  for (const [name, pkg] of tf) f[`/tf/${name}`] = readFileSync(join(TF, pkg, 'dist', name));
  for (const m of MODELS) {
    f[`/m/${m.key}.sprig`] = readFileSync(join(OUT, `${m.key}.sprig`));
    f[`/m/${m.key}/model.json`] = readFileSync(join(OUT, m.key, 'model.json'));
    f[`/m/${m.key}/weights.bin`] = readFileSync(join(OUT, m.key, 'weights.bin'));
  }
  return f;
}

type Engine = { median: number; calls: number; times: number[]; y: number[] };
type Row = { model: string; batch: number; engines: Record<string, Engine>; maxDiff: number };

/** Times the three engines on real test images; the largest output difference checks they agree. */
async function measure(
  open: Awaited<ReturnType<typeof site>>['open'],
): Promise<{ rows: Row[]; backend: unknown }> {
  const { page, errors } = await open('/');
  await page.waitForSelector('body[data-ready="1"]', { state: 'attached' });
  const ds = loadDataset({ name: 'fashion_mnist' });
  const test = pixels01(ds.test, ds);
  const rows: Row[] = [];
  let backend: unknown;
  for (const m of MODELS) {
    backend = await page.evaluate(
      (k) => (window as never as { setup: (k: string) => unknown }).setup(k),
      m.key,
    );
    for (const batch of BATCHES) {
      const x = Array.from(test.x.subarray(0, batch * 784));
      const engines = (await page.evaluate(
        ([k, x, s, r]) =>
          (window as never as { measure: (...a: unknown[]) => unknown }).measure(
            k,
            new Float32Array(x as number[]),
            s,
            r,
          ),
        [m.key, x, [batch, 28, 28, 1], ROUNDS] as const,
      )) as Record<string, Engine>;
      const ref = engines['tfjs-cpu']!.y;
      const maxDiff = Math.max(
        ...Object.values(engines).flatMap((e) => e.y.map((v, i) => Math.abs(v - ref[i]!))),
      );
      rows.push({ model: m.label, batch, engines, maxDiff });
      console.error(
        `${m.label} batch ${batch}: ${Object.entries(engines)
          .map(([n, e]) => `${n} ${(e.median * 1000).toFixed(1)} µs`)
          .join(', ')}`,
      );
    }
  }
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  return { rows, backend };
}

const us = (ms: number) => (ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(0)} µs`);

function table(rows: Row[]): string {
  const lines = [
    '| model | batch | sprig runtime | TF.js CPU (dense) | TF.js WASM (dense) | × vs CPU | × vs WASM | max |Δ logit| |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const [s, c, w] = ['sprig', 'tfjs-cpu', 'tfjs-wasm'].map((n) => r.engines[n]!.median);
    lines.push(
      `| ${r.model} | ${r.batch} | ${us(s!)} | ${us(c!)} | ${us(w!)} | ${(c! / s!).toFixed(1)} | ${(w! / s!).toFixed(1)} | ${r.maxDiff.toExponential(1)} |`,
    );
  }
  return lines.join('\n');
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const models = [];
  for (const m of MODELS) {
    const e = exportModel(m);
    const file = (p: string) => join(OUT, p);
    models.push({
      ...m,
      ...e,
      runtimeTestAccuracy: await runtimeAccuracy(m),
      sprigFile: sizes([file(`${m.key}.sprig`)]),
      tfjsFiles: sizes([file(`${m.key}/model.json`), file(`${m.key}/weights.bin`)]),
    });
  }
  const s = await site(files());
  let result;
  try {
    const { rows, backend } = await measure(s.open);
    result = {
      chromium: s.browser.version(),
      cpu: cpus()[0]?.model,
      rounds: ROUNDS,
      backend,
      rows,
      models,
      bundles: bundleSizes(),
    };
  } finally {
    await s.close();
  }
  writeFileSync(
    join(ROOT, 'bench/results/browser-sparse.json'),
    JSON.stringify(result, (k, v) => (k === 'y' || k === 'times' ? undefined : v), 2),
  );
  console.log(`Chromium ${result.chromium}, ${result.cpu}; medians of ${ROUNDS} interleaved blocks\n`);
  console.log(table(result.rows));
  console.log(
    '\n| model | run | test acc. (export, TF.js) | test acc. (sprig runtime) | .sprig raw / gzip | TF.js export raw / gzip |\n|---|---|---:|---:|---:|---:|',
  );
  for (const m of models)
    console.log(
      `| ${m.label} | ${m.runId} | ${m.exportTestAccuracy} | ${m.runtimeTestAccuracy} | ${m.sprigFile.raw} / ${m.sprigFile.gzip} B | ${m.tfjsFiles.raw} / ${m.tfjsFiles.gzip} B |`,
    );
  console.log('\n| bundle | raw | gzip |\n|---|---:|---:|');
  for (const [k, v] of Object.entries(result.bundles)) console.log(`| ${k} | ${v.raw} B | ${v.gzip} B |`);
}

await main();

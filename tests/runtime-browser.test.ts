/**
 * The shipped single-file bundles of the standalone runtime in Debian's headless Chromium, with no
 * bundler and no import map: the ESM build from a plain <script type="module">, the UMD build from a
 * plain <script> beside TF.js's own UMD builds (the TF.js option). Both predict what Node predicts
 * from the same `.sprig` file: TF.js through `loadExport`, and the same runtime in Node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/engine/index.js';
import { createModel } from '../src/models/registry.js';
import { Rng } from '../src/util/rng.js';
import { artifactsOf, layersModelOf, setLayersWeights } from '../src/export/tfjs.js';
import { sparseExportOf } from '../src/export/sparse.js';
import { loadExport } from '../src/export/load.js';
import { loadSprig } from '../src/loader/runtime/index.js';
import { CHROMIUM, site } from '../bench/chromium.js';
import { GREY, randomWeights, sparsify } from './export-fixtures.js';

const ROOT = join(import.meta.dirname, '..');
const TF = join(ROOT, 'node_modules/@tensorflow');

const ESM_PAGE = `<!doctype html><body><script type="module">
import { loadSprig } from '/sprig-runtime.esm.js';
window.run = async (x) => {
  const m = await loadSprig('/model.sprig');
  const out = { sparse: Array.from(m.predict(x)) };
  try { await loadSprig('/bad.sprig'); } catch (e) { out.error = e.message; }
  return out;
};
document.body.dataset.ready = '1';
</script></body>`;

const UMD_PAGE = `<!doctype html><body>
<script src="/tf/tf-core.min.js"></script><script src="/tf/tf-backend-cpu.min.js"></script>
<script src="/tf/tf-layers.min.js"></script><script src="/sprig-runtime.umd.js"></script>
<script>
window.run = async (x, shape) => {
  await tf.setBackend('cpu');
  const m = await sprig.loadSprig('/model.sprig');
  const lm = await sprig.layersModelOf(tf, '/model.sprig');
  return { sparse: Array.from(m.predict(x)), tfjs: Array.from(lm.predict(tf.tensor(x, shape)).dataSync()) };
};
document.body.dataset.ready = '1';
</script></body>`;

type Got = { sparse: number[]; tfjs?: number[]; error?: string };

test(
  'the ESM and UMD runtime bundles predict in Chromium what sprig predicts in Node',
  { skip: !existsSync(CHROMIUM) && 'needs Debian chromium (apt-get install chromium)', timeout: 180_000 },
  async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/bundle-runtime.mjs')], { stdio: 'ignore' });
    const m = createModel('mnist_lenet5', [28, 28, 1], 10);
    const w = randomWeights(m, 4);
    sparsify(m, w, 0.1, 5);
    const lm = await layersModelOf(m, GREY);
    setLayersWeights(lm, w);
    const bytes = sparseExportOf(m, await artifactsOf(lm), { values: 'fp16', int8Scale: 'channel' });
    lm.dispose();
    const n = 3;
    const rng = new Rng(11);
    const x = Float32Array.from({ length: n * 784 }, () => rng.next());
    const dir = mkdtempSync(join(tmpdir(), 'sprig-runtime-'));
    writeFileSync(join(dir, 'model.sprig'), bytes);
    const exported = await loadExport(join(dir, 'model.sprig'));
    const node = tf.tidy(() =>
      Array.from((exported.predict(tf.tensor(x, [n, 28, 28, 1])) as tf.Tensor).dataSync()),
    );
    exported.dispose();
    rmSync(dir, { recursive: true });
    const nodeRuntime = Array.from((await loadSprig(bytes)).predict(x));
    const read = (f: string) => readFileSync(join(ROOT, 'dist/loader', f));
    const s = await site({
      '/esm.html': ESM_PAGE,
      '/umd.html': UMD_PAGE,
      '/sprig-runtime.esm.js': read('sprig-runtime.esm.js'),
      '/sprig-runtime.umd.js': read('sprig-runtime.umd.js'),
      '/tf/tf-core.min.js': readFileSync(join(TF, 'tfjs-core/dist/tf-core.min.js')),
      '/tf/tf-backend-cpu.min.js': readFileSync(join(TF, 'tfjs-backend-cpu/dist/tf-backend-cpu.min.js')),
      '/tf/tf-layers.min.js': readFileSync(join(TF, 'tfjs-layers/dist/tf-layers.min.js')),
      '/model.sprig': bytes,
      '/bad.sprig': bytes.slice(0, bytes.length - 100),
    });
    try {
      const scale = Math.max(...node.map(Math.abs));
      const close = (got: number[], want: number[], what: string) => {
        assert.equal(got.length, want.length, what);
        got.forEach((v, i) =>
          assert.ok(Math.abs(v - want[i]!) <= 1e-4 * scale, `${what}[${i}]: ${v} vs ${want[i]}`),
        );
      };
      close(nodeRuntime, node, 'Node runtime vs Node TF.js');
      for (const path of ['/esm.html', '/umd.html']) {
        const { page, errors } = await s.open(path);
        await page.waitForSelector('body[data-ready="1"]', { state: 'attached' });
        const got = (await page.evaluate(
          ([x, shape]) =>
            (window as unknown as { run: (x: Float32Array, s: number[]) => Promise<Got> }).run(
              new Float32Array(x),
              shape,
            ),
          [Array.from(x), [n, 28, 28, 1]] as [number[], number[]],
        )) as Got;
        close(got.sparse, node, `${path} runtime`);
        assert.deepEqual(
          got.sparse,
          nodeRuntime,
          `${path}: the same kernels give the same bits in Node and Chromium`,
        );
        if (got.tfjs) close(got.tfjs, node, `${path} TF.js option`);
        if (path === '/esm.html')
          assert.match(got.error ?? '', /\/bad\.sprig is not a valid sprig sparse export: truncated/);
        assert.deepEqual(errors, []);
      }
    } finally {
      await s.close();
    }
  },
);

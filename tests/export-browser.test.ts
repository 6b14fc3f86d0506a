/**
 * The exports in Debian's headless Chromium: `sprig/loader` bundled for the browser (esbuild with
 * platform 'browser', so a Node-only import fails the build) loads a sparse export, tf.loadLayersModel
 * loads the TF.js export over HTTP, and both predict what sprig predicts. A corrupted file gets the
 * loader's error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { createModel } from '../src/models/registry.js';
import { Rng } from '../src/util/rng.js';
import {
  artifactsOf,
  layersModelOf,
  modelJsonOf,
  setLayersWeights,
  weightBytes,
} from '../src/export/tfjs.js';
import { sparseExportOf } from '../src/export/sparse.js';
import { GREY, randomWeights, sparsify, sprigLogits } from './export-fixtures.js';
import { launchChromium, NO_CHROMIUM } from '../bench/chromium.js';

const ROOT = join(import.meta.dirname, '..');

const ENTRY = `
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { loadSparseModel } from './src/loader/index.ts';
window.check = async (x, shape) => {
  await tf.setBackend('cpu');
  const logits = async (m) => Array.from(m.predict(tf.tensor4d(x, shape)).dataSync());
  const out = { sparse: await logits(await loadSparseModel('/model.sprig')), tfjs: await logits(await loadLayersModel('/tfjs/model.json')) };
  try { await loadSparseModel('/bad.sprig'); } catch (e) { out.error = e.message; }
  return out;
};
document.body.dataset.ready = '1';
`;

test(
  'exports load and predict in headless Chromium as in sprig',
  { skip: NO_CHROMIUM, timeout: 120_000 },
  async () => {
    const m = createModel('mnist_lenet5', [28, 28, 1], 10);
    const w = randomWeights(m, 2);
    sparsify(m, w, 0.1, 3);
    const lm = await layersModelOf(m, GREY);
    setLayersWeights(lm, w);
    const a = await artifactsOf(lm);
    const sparse = sparseExportOf(m, a, { values: 'fp32', int8Scale: 'channel' });
    const bad = sparse.slice(0, sparse.length - 100);
    const bundle = await build({
      stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const files: Record<string, [string, Uint8Array | string]> = {
      '/': ['text/html', '<!doctype html><body><script type="module" src="/bundle.js"></script></body>'],
      '/bundle.js': ['text/javascript', bundle.outputFiles[0]!.contents],
      '/model.sprig': ['application/octet-stream', sparse],
      '/bad.sprig': ['application/octet-stream', bad],
      '/tfjs/model.json': ['application/json', JSON.stringify(modelJsonOf(a, {}))],
      '/tfjs/weights.bin': ['application/octet-stream', new Uint8Array(weightBytes(a))],
    };
    const server = createServer((req, res) => {
      const f = files[req.url ?? ''];
      res.writeHead(f ? 200 : 404, { 'content-type': f?.[0] ?? 'text/plain' });
      res.end(f?.[1] ?? 'not found');
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${url}/`);
      await page.waitForSelector('body[data-ready="1"]', { state: 'attached' });
      const n = 3;
      const rng = new Rng(9);
      const x = Array.from({ length: n * 28 * 28 }, () => rng.next());
      const got = (await page.evaluate(
        ([x, n]) =>
          (window as unknown as { check: (x: number[], s: number[]) => unknown }).check(x, [n, 28, 28, 1]),
        [x, n] as const,
      )) as {
        sparse: number[];
        tfjs: number[];
        error?: string;
      };
      const ours = sprigLogits(m, w, Float32Array.from(x), n, GREY);
      const scale = Math.max(...ours.map(Math.abs));
      for (const k of ['sparse', 'tfjs'] as const) {
        assert.equal(got[k].length, ours.length);
        got[k].forEach((v, i) =>
          assert.ok(Math.abs(v - ours[i]!) <= 1e-4 * scale, `${k}[${i}]: ${v} vs ${ours[i]}`),
        );
      }
      assert.match(got.error ?? '', /\/bad\.sprig is not a valid sprig sparse export: truncated/);
      assert.deepEqual(errors, []);
    } finally {
      await browser?.close();
      server.close();
      lm.dispose();
    }
  },
);

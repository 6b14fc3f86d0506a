/**
 * The loader against hostile files in Debian's headless Chromium, fetched over HTTP as a page would:
 * the hand-made files and seeded mutations of loader-fuzz.test.ts, a server that declares 3 GB, and
 * one that never stops sending. Each is refused quickly with a SparseFormatError naming its URL (or,
 * a mutation that is still a valid file, loads); the page never hangs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import '@tensorflow/tfjs-backend-cpu';
import { hostileFiles, mutations, realExport } from './loader-fixtures.js';
import { launchChromium, NO_CHROMIUM } from '../bench/chromium.js';

const ROOT = join(import.meta.dirname, '..');

const ENTRY = `
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadSparseModel, SparseFormatError } from './src/loader/index.ts';
window.fuzz = async (urls, opts) => {
  await tf.setBackend('cpu');
  const out = [];
  for (const url of urls) {
    const t0 = performance.now();
    try {
      (await loadSparseModel(url, opts)).dispose();
      out.push({ url, ok: true, ms: performance.now() - t0 });
    } catch (e) {
      out.push({ url, ok: false, format: e instanceof SparseFormatError, message: String(e.message), ms: performance.now() - t0 });
    }
  }
  return out;
};
document.body.dataset.ready = '1';
`;

interface Outcome {
  url: string;
  ok: boolean;
  format?: boolean;
  message?: string;
  ms: number;
}

/** Sends zeros for as long as the client reads. */
function endless(res: ServerResponse): void {
  const chunk = new Uint8Array(1 << 16);
  let open = true;
  res.on('close', () => (open = false));
  const pump = () => {
    while (open && res.write(chunk));
    if (open) res.once('drain', pump);
  };
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  pump();
}

test(
  'hostile sparse files in headless Chromium: each refused at once with a named error',
  { skip: NO_CHROMIUM, timeout: 300_000 },
  async () => {
    const good = await realExport('fp16');
    const hostile = hostileFiles(good);
    const mutated = mutations(good, 7, 80);
    const files = new Map<string, Uint8Array>([['/good.sprig', good]]);
    hostile.forEach((c, i) => files.set(`/h/${i}`, c.bytes));
    mutated.forEach((m, i) => files.set(`/m/${i}`, m.bytes));
    const bundle = await build({
      stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const server = createServer((req, res) => {
      const url = req.url ?? '';
      if (url === '/')
        return res.end('<!doctype html><body><script type="module" src="/bundle.js"></script></body>');
      if (url === '/bundle.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        return res.end(bundle.outputFiles[0]!.contents);
      }
      if (url === '/declares-3GB')
        return res.writeHead(200, { 'content-length': '3000000000' }).write('SPRS');
      if (url === '/endless') return endless(res);
      const f = files.get(url);
      res.writeHead(f ? 200 : 404).end(f ?? 'not found');
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${base}/`);
      await page.waitForSelector('body[data-ready="1"]', { state: 'attached' });
      const fuzz = (urls: string[], opts: object = {}) =>
        page.evaluate(
          ([u, o]) =>
            (window as unknown as { fuzz: (u: string[], o: object) => Promise<Outcome[]> }).fuzz(u, o),
          [urls, opts] as const,
        );

      const [ok, ...refused] = await fuzz([
        '/good.sprig',
        ...hostile.map((_, i) => `/h/${i}`),
        '/declares-3GB',
        '/nothing',
      ]);
      assert.ok(ok!.ok, `the real export loads: ${ok!.message}`);
      const expected = [
        ...hostile.map((c) => c.error),
        /\/declares-3GB is refused: it is 3000000000 bytes, over the loader's limit/,
        /cannot fetch \/nothing: HTTP 404/,
      ];
      refused.forEach((r, i) => {
        const what = hostile[i]?.name ?? r.url;
        assert.ok(!r.ok && r.format, `${what}: ${r.message ?? 'loaded'}`);
        assert.match(r.message!, expected[i]!, what);
        assert.ok(r.message!.includes(r.url), `${what}: names ${r.url}`);
        assert.ok(r.ms < 2000, `${what}: ${r.ms.toFixed(0)} ms`);
      });
      // A server that never stops: reading ends at the limit (1 MiB of weights + the largest manifest).
      const [cut] = await fuzz(['/endless'], { maxBytes: 2 ** 20 });
      assert.match(cut!.message ?? '', /\/endless is refused: it is over 17825812 bytes/);
      for (const r of await fuzz(mutated.map((_, i) => `/m/${i}`)))
        assert.ok(r.ok || (r.format && r.message!.includes(r.url)), `${r.url}: ${r.message}`);
      assert.deepEqual(errors, []);
    } finally {
      await browser?.close();
      server.closeAllConnections();
      server.close();
    }
  },
);

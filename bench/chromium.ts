/**
 * Debian's headless Chromium for pages that sprig serves from memory: a static server on 127.0.0.1
 * (nothing is fetched from outside) and a browser launched with the flags the browser tests use.
 * Shared by every browser test and bench/browser-sparse.ts.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
// Without the networking flags Chromium keeps calling hosts this closed network refuses.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A test's skip reason when Debian's Chromium is absent, else false. */
export const NO_CHROMIUM = !existsSync(CHROMIUM) && 'needs Debian chromium (apt-get install chromium)';

/** Debian's headless Chromium with the flags above. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: ARGS });

const TYPES: Record<string, string> = {
  html: 'text/html',
  js: 'text/javascript',
  json: 'application/json',
  wasm: 'application/wasm',
};

/** path → content; the type comes from the extension (octet-stream otherwise). */
export type Files = Record<string, Uint8Array | string>;

export interface Site {
  url: string;
  browser: Browser;
  /** A new page at `path`, with its uncaught errors collected in `errors`. */
  open(path: string): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

function serve(files: Files): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const f = files[path];
    const type = path.endsWith('/')
      ? TYPES.html
      : (TYPES[path.split('.').pop() ?? ''] ?? 'application/octet-stream');
    res.writeHead(f === undefined ? 404 : 200, { 'content-type': f === undefined ? 'text/plain' : type });
    res.end(f ?? 'not found');
  }).listen(0, '127.0.0.1');
}

/** Serves `files` and starts Chromium; `close` stops both. */
export async function site(files: Files): Promise<Site> {
  const server = serve(files);
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium().catch((e: unknown) => {
    server.close();
    throw e;
  });
  return {
    url,
    browser,
    async open(path) {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${url}${path}`);
      return { page, errors };
    },
    async close() {
      await browser.close();
      server.close();
    },
  };
}

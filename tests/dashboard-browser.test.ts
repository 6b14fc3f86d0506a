/**
 * The dashboard in a real headless Chromium (Debian's, driven by playwright-core): `sprig serve`
 * lists the runs of a store, a click opens a run, and its charts are drawn with data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Browser } from 'playwright-core';
import { sprigAsync } from './helpers.js';
import { makeStore } from './dashboard-fixtures.js';
import { launchChromium, NO_CHROMIUM } from '../bench/chromium.js';

test(
  'sprig serve: runs page, run page with charts, compare view',
  { skip: NO_CHROMIUM, timeout: 180_000 },
  async (t) => {
    const store = makeStore();
    const server = sprigAsync(['serve', '--root', store.root, '--port', '0', '--json']);
    let browser: Browser | undefined;
    try {
      let out = '';
      server.stdout.setEncoding('utf8');
      while (!out.includes('\n')) {
        const [chunk] = (await Promise.race([
          once(server.stdout, 'data'),
          once(server, 'exit').then(() => [null]),
        ])) as [string | null];
        if (chunk === null) throw new Error('sprig serve exited before listening');
        out += chunk;
      }
      const { url } = JSON.parse(out) as { url: string };
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const failed: string[] = [];
      page.on('requestfailed', (r) => failed.push(r.url()));
      page.on('pageerror', (e) => failed.push(`page error: ${e.message}`));
      // Offline: every request the page makes goes to our server.
      page.on('request', (r) => !r.url().startsWith(url) && failed.push(`outside request: ${r.url()}`));

      /** A view no wider than the viewport: nothing to scroll sideways. */
      const fits = async (what: string) => {
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(w <= 1280, `${what}: the page is ${w} px wide at a 1280 px viewport`);
      };
      await page.goto(url);
      await page.waitForSelector('body[data-ready="1"] table#runs');
      await fits('runs');
      for (const r of store.runs)
        assert.equal(await page.locator(`tr[data-run="${r.runId}"]`).count(), 1, `${r.runId} is listed`);

      // Sorting by test accuracy puts a header in the sorted state without losing rows.
      await page.click('th[data-key="acc"]');
      assert.equal(await page.locator('th.sorted[data-key="acc"]').count(), 1);
      assert.equal(await page.locator('table#runs tbody tr').count(), 2);

      const run = store.runs[0]!;
      await page.click(`tr[data-run="${run.runId}"] a`);
      await page.waitForSelector('body[data-ready="1"] #metric-charts canvas');
      await fits('run page');
      // Readable label as the title, the id beside it.
      assert.match(await page.locator('h1').innerText(), /^train mlp_16 seed=0/);
      assert.match(await page.locator('main p.muted code').innerText(), new RegExp(run.runId));
      assert.match(await page.locator('#hparams pre').innerText(), /mlp_16/);
      // Chart.js drew each metric with about 20 points (metrics every few steps, not per epoch).
      const drawn = await page.$$eval('#metric-charts canvas', (cs) =>
        cs.map((c) => {
          const chart = (
            window as unknown as {
              Chart: { getChart(c: Element): { data: { datasets: { data: unknown[] }[] } } };
            }
          ).Chart.getChart(c)!;
          return {
            id: c.getAttribute('data-chart-id'),
            width: (c as HTMLCanvasElement).width,
            points: chart.data.datasets.map((d) => d.data.length),
          };
        }),
      );
      const ids = drawn.map((d) => d.id);
      for (const q of ['Accuracy', 'Loss', 'SoftError'])
        assert.ok(ids.includes(`metrics:${q}`), `a ${q} chart (got ${ids.join(', ')})`);
      for (const d of drawn) {
        assert.ok(d.width > 100, `${d.id} has a drawn canvas`);
        for (const n of d.points) assert.ok(n > run.history.length, `${d.id}: finer than per epoch (${n})`);
      }
      // Some pixels are not background: the lines are there.
      const inked = await page.$eval('#metric-charts canvas', (c) => {
        const ctx = (c as HTMLCanvasElement).getContext('2d')!;
        const px = ctx.getImageData(
          0,
          0,
          (c as HTMLCanvasElement).width,
          (c as HTMLCanvasElement).height,
        ).data;
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) n++;
        return n;
      });
      assert.ok(inked > 500, `the chart has ink (${inked} pixels)`);
      const shot = join(store.root, 'dashboard-run.png');
      await page.screenshot({ path: shot, fullPage: true });
      t.diagnostic(`screenshot: ${shot}`);

      // Compare both runs' test accuracy on one chart.
      await page.goto(`${url}#/compare/${store.runs.map((r) => r.runId).join(',')}?metric=testAccuracy`);
      await page.waitForSelector('body[data-ready="1"] #compare-charts canvas');
      await fits('compare view');
      const series = await page.$eval('#compare-charts canvas', (c) =>
        (
          window as unknown as {
            Chart: { getChart(c: Element): { data: { datasets: { label: string }[] } } };
          }
        ).Chart.getChart(c)!.data.datasets.map((d) => d.label),
      );
      assert.deepEqual(series.sort(), ['train mlp_16 seed=0', 'train mlp_8 seed=0']);
      await page.screenshot({ path: join(store.root, 'dashboard-compare.png'), fullPage: true });
      assert.deepEqual(failed, []);
    } finally {
      await browser?.close();
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
  },
);

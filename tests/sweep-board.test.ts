/**
 * Issue #26: the sweep's board. A live local sweep is followed in Chromium on the dashboard's
 * sweep page (counts by state, each run's state and worker, the best run, the grid's figure), and
 * `sprig sweep FILE --status --watch --json` gives the same status from the command line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { sprigAsync, sprigJson, start, tempRoot } from './helpers.js';
import { launchChromium, NO_CHROMIUM } from '../bench/chromium.js';
import { until } from './redis-fixtures.js';

async function serve(root: string) {
  const server = sprigAsync(['serve', '--root', root, '--port', '0', '--json']);
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
  return { server, url: (JSON.parse(out) as { url: string }).url };
}

interface Status {
  sweepId: string;
  counts: Record<string, number>;
  best?: { runId: string; value: number };
  axes: { axis: string; points: { value: number; mean: number; std: number; n: number }[] }[];
  runs: { runId: string; state: string; worker?: string; testAccuracy?: number }[];
}

test(
  'the sweep page follows a live sweep; --status --watch --json gives the same status',
  { skip: NO_CHROMIUM, timeout: 900_000 },
  async (t) => {
    const root = tempRoot('sprig-sweep-board-');
    const file = join(root, 'board.json');
    const base = { dataset: 'synthetic', model: 'mlp_16', trainSteps: '32it', batchSize: 16 };
    writeFileSync(file, JSON.stringify({ kind: 'train', base, grid: { lr: [0.05, 0.2] }, seeds: [0, 1] }));
    const sweep = start(['sweep', file, '--root', root, '--workers', '1']);
    // serve refuses a root without an index: wait for the sweep to make it
    await until('the sweep to create the index', () => existsSync(join(root, 'index.sqlite')));
    const { server, url } = await serve(root);
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const failed: string[] = [];
      page.on('pageerror', (e) => failed.push(`page error: ${e.message}`));
      // The sweep saves its status as soon as its first run starts.
      for (let i = 0; ; i++) {
        await page.goto(`${url}#/sweep/board`);
        await page.waitForSelector('body[data-ready="1"]');
        if (await page.locator('[data-sweep-counts]').count()) break;
        assert.ok(i < 120, 'the sweep page appears');
        await sleep(1000);
      }
      const live = await page.locator('h1').innerText();
      const runningAtFirst = await page.locator('td[data-state="running"]').innerText();
      t.diagnostic(`first look: ${live}, running ${runningAtFirst}`);
      assert.match(live, /sweep board live/);
      assert.equal(await page.locator('table.sweep-runs tbody tr').count(), 4);
      assert.ok(await page.locator('tr[data-state="running"]').count(), 'a run shows as running');
      assert.match(await page.locator('tr[data-state="running"] td').nth(3).innerText(), /^local-1$/);
      // It redraws itself until the sweep is done: no reload from here.
      await page.waitForSelector('td[data-state="finished"]:text-is("4")', { timeout: 600_000 });
      assert.match(await page.locator('h1').innerText(), /settled/);
      assert.match(await page.locator('[data-best]').innerText(), /best by testAccuracy: train_\w+ \(lr=/);
      const points = await page.$eval('[data-figure-id$=":lr"] canvas', (c) =>
        (
          window as unknown as {
            Chart: { getChart(c: Element): { data: { datasets: { data: unknown[] }[] } } };
          }
        ).Chart.getChart(c)!.data.datasets.map((d) => d.data.length),
      );
      assert.ok(points.includes(2), `two lr values drawn (${points.join(', ')})`);
      await page.screenshot({ path: join(root, 'sweep-page.png'), fullPage: true });
      assert.deepEqual(failed, []);
      assert.equal((await sweep.done).status, 0);

      const api = (await (await fetch(`${url}api/sweeps/board`)).json()) as Status;
      const cli = sprigJson<Status>(['sweep', file, '--root', root, '--status', '--watch']);
      assert.deepEqual(api.counts, cli.counts);
      assert.deepEqual([api.best?.runId, api.best?.value], [cli.best?.runId, cli.best?.value]);
      assert.equal(cli.counts.finished, 4);
      // accuracy against lr: mean ± std over the two seeds at each value
      const lr = cli.axes.find((a) => a.axis === 'lr')!;
      for (const p of lr.points) {
        const accs = cli.runs
          .filter((r) => api.runs.some((x) => x.runId === r.runId))
          .filter((r) => (r as unknown as { values: { lr: number } }).values.lr === p.value)
          .map((r) => r.testAccuracy!);
        assert.equal(p.n, 2);
        assert.ok(Math.abs(p.mean - (accs[0]! + accs[1]!) / 2) < 1e-12);
      }
      // `sprig plot --sweep` draws the same grid figure the page shows
      const plotted = sprigJson<{ figures: { id: string; series: { points: number }[] }[] }>([
        'plot',
        '--sweep',
        'board',
        '--figure',
        ':lr',
        '--out',
        join(root, 'grid.svg'),
        '--root',
        root,
        '--json',
      ]);
      assert.equal(plotted.figures[0]!.id, `sweep:${cli.sweepId}:lr`);
      assert.equal(plotted.figures[0]!.series[0]!.points, 2);
    } finally {
      await browser?.close();
      sweep.child.kill('SIGKILL');
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
  },
);

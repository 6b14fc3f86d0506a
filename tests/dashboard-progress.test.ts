/**
 * A running run's progress: the file its owner keeps (step of the planned total, its own rate), the
 * ETA worked out from it, and the dashboard's run page and figures while a real run trains.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { start, tempRoot } from './helpers.js';
import { progressRecorder, progressView, type RunProgress } from '../src/experiments/run-progress.js';
import { readJson } from '../src/store/artifacts.js';
import { StoreReader } from '../src/dashboard/reader.js';
import { createDashboard } from '../src/dashboard/server.js';

test('progress: written every 2 s and at the ends, with the rate since this process started', () => {
  const path = join(tempRoot(), 'progress.json');
  let now = Date.parse('2026-01-01T00:00:00Z');
  const cb = progressRecorder(path, { totalSteps: 1000, itersPerEpoch: 100 }, () => now);
  // A resumed run: this process starts at step 401.
  cb.onStep!(401, 1000, 0, 0);
  const first = readJson<RunProgress>(path)!;
  assert.equal(first.startStep, 400);
  now += 1000;
  cb.onStep!(501, 1000, 0, 0);
  assert.equal(readJson<RunProgress>(path)!.step, 401, 'not rewritten within 2 s');
  now += 1000;
  cb.onStep!(601, 1000, 0, 0);
  const p = readJson<RunProgress>(path)!;
  assert.equal(p.step, 601);
  assert.equal(p.stepsPerSecond, 100.5, '201 steps in 2 s');
  // Read 1 s after it was written: 399 steps at 100.5/s, less the second already gone.
  const v = progressView(p, now + 1000)!;
  assert.equal(v.epoch, 6.01);
  assert.equal(v.epochs, 10);
  assert.ok(Math.abs(v.etaSeconds! - (399 / 100.5 - 1)) < 1e-9, `${v.etaSeconds}`);
  assert.equal(progressView({ step: 3 }, now), undefined, 'not a progress file');
  // Logging only: a progress file that cannot be written never stops the run.
  const nowhere = progressRecorder(join(tempRoot(), 'gone', 'progress.json'), {
    totalSteps: 9,
    itersPerEpoch: 3,
  });
  assert.doesNotThrow(() => nowhere.onStep!(1, 9, 0, 0));
});

test(
  "dashboard: a running run's page has its progress and ETA, its step axis spans the planned run",
  { timeout: 120_000 },
  async () => {
    const root = tempRoot('sprig-progress-');
    const total = 40_000; // long enough to be caught running; stopped once seen
    const args = ['train', '--dataset', 'synthetic', '--model', 'mlp_8', '--batch-size', '32', '--quiet'];
    const { child, done } = start([...args, '--train-steps', `${total}it`, '--root', root]);
    try {
      const dir = async () => {
        for (let i = 0; i < 600; i++) {
          const d = readdirSync(root).find((n) => n.startsWith('train_'));
          if (d && existsSync(join(root, d, 'progress.json')) && existsSync(join(root, 'index.sqlite')))
            return d;
          await sleep(100);
        }
        throw new Error('the run never wrote its progress');
      };
      const id = await dir();
      await sleep(2500); // a metric point or two and a rate
      const reader = new StoreReader(root);
      const app = createDashboard(reader);
      const get = async (url: string) => (await app.inject({ url, headers: { host: '127.0.0.1' } })).json();
      const run = await get(`/api/runs/${id}`);
      assert.equal(run.status, 'running');
      const p = run.progress;
      assert.equal(p.own, true);
      assert.equal(p.totalSteps, total);
      assert.ok(p.step > 0 && p.step < total, `step ${p.step}`);
      assert.equal(p.epochs, total / 16, '512 synthetic examples at batch 32: 16 steps an epoch');
      assert.ok(p.stepsPerSecond > 0 && p.etaSeconds > 0, JSON.stringify(p));
      const figs = (await get(`/api/runs/${id}/figures`)).figures as {
        id: string;
        x: { range: [number, number] };
      }[];
      const acc = figs.find((f) => f.id === 'metrics:Accuracy');
      assert.ok(acc, figs.map((f) => f.id).join());
      assert.ok(acc.x.range[0] <= 0 && acc.x.range[1] >= total, `x spans the run: ${acc.x.range}`);
      await app.close();
      reader.close();
    } finally {
      child.kill('SIGTERM');
      await done;
    }
  },
);

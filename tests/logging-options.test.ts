/**
 * `--metrics-every` is a run option, not a hyperparameter: a flag on every experiment command that
 * sets how often test metrics are recorded and leaves the run id as it is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { RunStore } from '../src/store/store.js';
import { sprig, sprigJson, tempRoot } from './helpers.js';

const TRAIN = ['train', '--dataset', 'synthetic', '--model', 'mlp_8', '--batch-size', '64', '--quiet'];

/** The run id and the steps at which test accuracy was recorded, trained in a fresh store. */
function recorded(extra: string[]): { runId: string; steps: number[] } {
  const root = tempRoot('sprig-logging-');
  try {
    const r = sprigJson<{ runId: string }>([...TRAIN, '--train-steps', '12it', ...extra, '--root', root]);
    const store = new RunStore(root);
    const steps = store.index
      .metrics(r.runId)
      .filter((m) => m.name === 'testAccuracy')
      .map((m) => m.step);
    store.close();
    return { runId: r.runId, steps: [...new Set(steps)].sort((a, b) => a - b) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('--metrics-every sets the recording interval and not the run id', () => {
  const every5 = recorded(['--metrics-every', '5']);
  const off = recorded(['--metrics-every', '0']);
  const unset = recorded([]);
  assert.equal(every5.runId, off.runId);
  assert.equal(unset.runId, off.runId);
  // epochs of 8 iterations: 0 keeps only the loop's evaluations at epoch ends (8, 12); 5 adds
  // steps 0, 5 and 10; unset, about 20 points: every iteration (ceil(12 / 20) = 1)
  assert.deepEqual(off.steps, [8, 12]);
  assert.deepEqual(every5.steps, [0, 5, 8, 10, 12]);
  assert.deepEqual(
    unset.steps,
    Array.from({ length: 13 }, (_, i) => i),
  );
});

test('every experiment command takes --metrics-every and checks it', async () => {
  const { Command } = await import('commander');
  const { KINDS } = await import('../src/experiments/kinds.js');
  const { kindCommand } = await import('../src/cli/experiment.js');
  for (const kind of Object.values(KINDS)) {
    const help = kindCommand(new Command('sprig'), kind).helpInformation();
    assert.match(help, /--metrics-every <n>/, `${kind.name} --help`);
  }
  const bad = sprig([...TRAIN, '--train-steps', '1it', '--metrics-every', '-1']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /metricsEvery/);
});

test('the train-loss series has one kind of point: window means, the epoch end included', () => {
  const root = tempRoot('sprig-logging-');
  try {
    const r = sprigJson<{ runId: string; history: { step: number; trainLoss: number }[] }>([
      ...TRAIN,
      '--train-steps',
      '12it',
      '--metrics-every',
      '1',
      '--root',
      root,
    ]);
    const store = new RunStore(root);
    const loss = store.index.metrics(r.runId).filter((m) => m.name === 'trainLoss');
    store.close();
    // Every iteration is its own window, so epoch 1's points (steps 1–8) average to its mean; an
    // epoch mean stored at step 8 among one-step means (the old series) would not.
    const epoch1 = loss.filter((m) => m.step >= 1 && m.step <= 8).map((m) => m.value!);
    assert.equal(epoch1.length, 8);
    const mean = epoch1.reduce((a, b) => a + b, 0) / epoch1.length;
    assert.ok(Math.abs(mean - r.history[0]!.trainLoss) < 1e-5, `${mean} vs ${r.history[0]!.trainLoss}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

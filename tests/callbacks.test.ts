import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeCallbacks, type EpochEvent } from '../src/training/loop.js';
import { validate, trainHparamsSchema } from '../src/experiments/hparams.js';
import { setup } from '../src/experiments/setup.js';
import { runTraining } from '../src/experiments/run.js';
import { RunStore } from '../src/store/store.js';
import { tempRoot } from './helpers.js';

test('composeCallbacks calls every member in order and skips missing hooks', () => {
  const calls: string[] = [];
  const c = composeCallbacks({ onStep: (s) => calls.push(`a${s}`) }, undefined, {
    onStep: (s) => calls.push(`b${s}`),
    onEpoch: (e) => calls.push(`e${e.epoch}`),
  });
  c.onStep!(3, 10, 0.5, 0.1);
  c.onEpoch!({ epoch: 1 } as EpochEvent);
  c.onLog!(0, new Map(), () => ({}));
  assert.deepEqual(calls, ['a3', 'b3', 'e1']);
});

test("runTraining keeps the options' onEpoch and the caller's: neither is dropped", () => {
  const hp = validate(trainHparamsSchema, {
    dataset: { name: 'synthetic' },
    model: { name: 'mlp_8' },
    training: { trainSteps: '2ep', batchSize: 256 },
  });
  const s = setup(hp);
  const seen: string[] = [];
  const store = new RunStore(tempRoot());
  runTraining({
    store,
    runId: 'train_callbacks',
    kind: 'train',
    recipe: 1,
    hparams: hp,
    options: s.options({ callbacks: { onEpoch: (e) => seen.push(`options ${e.epoch}`) } }),
    callbacks: () => ({ onEpoch: (e) => seen.push(`caller ${e.epoch}`) }),
  });
  store.close();
  assert.deepEqual(seen, ['options 1', 'caller 1', 'options 2', 'caller 2']);
});

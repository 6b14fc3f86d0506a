import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { canonical, trainHparamsSchema, validate } from '../src/experiments/hparams.js';
import { train } from '../src/experiments/kinds/train.js';
import { RunStore } from '../src/store/store.js';
import { SprigError } from '../src/util/errors.js';
import { sprig, sprigJson, tempRoot, TINY_TRAIN } from './helpers.js';

test('run ids are pinned hashes of the non-default hyperparameters', () => {
  const id = (v: unknown) => train.identify(v).runId;
  // Changing these breaks every stored run: a new field must get a default that changes nothing.
  assert.equal(id({}), 'train_eab378d84d29de91');
  assert.equal(id({ training: { lr: 0.05 } }), 'train_304216015b68e3cc');
  // defaults spelled out and where the data lives do not change identity
  assert.equal(
    id({ training: { lr: 0.05, momentum: 0 }, dataset: { dataDir: '/elsewhere' } }),
    'train_304216015b68e3cc',
  );
  assert.notEqual(id({ training: { seed: 1 } }), id({}));
});

test('canonical JSON keeps only non-default values, keys sorted', () => {
  const hp = validate(trainHparamsSchema, { training: { seed: 2, lr: 0.3 }, model: { name: 'mlp_32' } });
  const c = canonical(hp as Record<string, unknown>, trainHparamsSchema.parse({}) as Record<string, unknown>);
  assert.equal(JSON.stringify(c), '{"model":{"name":"mlp_32"},"training":{"lr":0.3,"seed":2}}');
});

test('validation names the bad field', () => {
  assert.throws(
    () => validate(trainHparamsSchema, { training: { batchSize: -3, trainSteps: 'forever' } }),
    (e: unknown) =>
      e instanceof SprigError &&
      /training\.batchSize/.test(e.message) &&
      /training\.trainSteps/.test(e.message),
  );
});

test('a store that is not writable is refused with the fix', () => {
  const file = join(tempRoot(), 'a-file');
  writeFileSync(file, '');
  assert.throws(
    () => new RunStore(join(file, 'runs')),
    (e: unknown) => e instanceof SprigError && /--root/.test(e.message),
  );
  const r = sprig(['train', '--root', join(file, 'runs'), '--dataset', 'synthetic', '--model', 'mlp_8']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not writable/);
});

test('a finished run re-run trains nothing and returns its stored result; runs and show list it', () => {
  const root = tempRoot();
  const first = sprigJson<{ runId: string; runDir: string; cached: boolean; testAccuracy: number }>([
    'train',
    ...TINY_TRAIN,
    '--root',
    root,
  ]);
  assert.equal(first.cached, false);
  const before = readFileSync(join(first.runDir, 'result.json'), 'utf8');
  const again = sprigJson<typeof first>(['train', ...TINY_TRAIN, '--root', root]);
  // cached, and its stored result untouched: no timing needed to show nothing trained
  assert.equal(again.cached, true);
  assert.equal(again.testAccuracy, first.testAccuracy);
  assert.equal(readFileSync(join(first.runDir, 'result.json'), 'utf8'), before);
  const runs = sprigJson<{ runId: string; status: string }[]>(['runs', '--root', root]);
  assert.deepEqual(
    runs.map((r) => [r.runId, r.status]),
    [[first.runId, 'finished']],
  );
  const shown = sprigJson<{ metrics: { name: string }[] }>([
    'show',
    first.runId.slice(0, 12),
    '--root',
    root,
  ]);
  assert.ok(shown.metrics.some((m) => m.name === 'testAccuracy'));
  assert.ok(existsSync(join(first.runDir, 'hparams.json')));
});

test('bad input gets a clear error and exit code 2', () => {
  const root = tempRoot();
  const cases: [string[], RegExp][] = [
    [
      ['train', '--model', 'nope', '--dataset', 'synthetic'],
      /unknown model 'nope'[\s\S]*mnist_lenet_300_100/,
    ],
    [['train', '--dataset', 'imagenet'], /unknown dataset 'imagenet'[\s\S]*fashion_mnist/],
    [['train', ...TINY_TRAIN, '--batch-size', '100000'], /batch size 100000 is larger/],
    [['train', '--dataset', 'mnist'], /--data-dir/],
    [['train', ...TINY_TRAIN, '--train-steps', 'soon'], /training\.trainSteps/],
  ];
  for (const [args, re] of cases) {
    const r = sprig([...args, '--root', root]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const bad = join(root, 'bad.json');
  writeFileSync(bad, '{"training": {"lr": 0.1,}');
  assert.match(sprig(['train', '--config', bad, '--root', root]).stderr, /not a JSON object/);
  writeFileSync(bad, '{"training": {"lr": "fast", "colour": 1}}');
  const r = sprig(['train', '--config', bad, '--root', root]);
  assert.match(r.stderr, /training\.lr/);
  assert.match(r.stderr, /colour/);
});

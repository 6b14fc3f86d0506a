/**
 * The one list of experiment kinds: each kind names itself as the list does, `commandFor` gives the
 * command a user can type to get a run's id back, and a stored run records its recipe version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KINDS, KIND_NAMES, kindNamed } from '../src/experiments/kinds.js';
import { commandFor, commandText } from '../src/experiments/command.js';
import { SprigError } from '../src/util/errors.js';
import { RunStore } from '../src/store/store.js';
import { sprigJson, tempRoot } from './helpers.js';

test('the list names every kind by its own name; an unknown name fails with the list', () => {
  for (const [key, kind] of Object.entries(KINDS)) assert.equal(kind.name, key);
  assert.deepEqual(KIND_NAMES, ['train', 'dst', 'lottery', 'bootstrap', 'gradflow', 'prune']);
  assert.throws(
    () => kindNamed('flagship'),
    (e: SprigError) => /train, dst, lottery/.test(e.fix ?? ''),
  );
});

/** Hyperparameters off the recipes in every way the flags have: numbers, lists, switches, records, JSON. */
const SAMPLES: Record<string, unknown[]> = {
  train: [
    {},
    { model: { name: 'mlp_8' }, training: { lr: 1e-3, nesterov: true, milestones: ['2ep', '3ep'] } },
  ],
  dst: [
    {},
    { training: { weightDecay: 0 }, dst: { method: 'set', densities: { 'fc1.weight': 0.3 }, tEnd: '3ep' } },
    { dst: { method: 'rigl', init: 'unit_scaled', denseFirstLayer: false } },
  ],
  lottery: [
    {},
    {
      pruning: { pruneScope: 'global', exclude: ['fc1.weight'] },
      lottery: { levels: 3, retrain: { lr: 0.05 } },
    },
  ],
  // without models the command compares the paper's two: the model must be named to mean one
  bootstrap: [
    {},
    { bootstrap: { n: 64, source: 'pool' }, model: { name: 'mlp_8' } },
    { dataset: { name: 'mnist' } },
  ],
  gradflow: [{}, { gradflow: { runs: ['scratch', 'lottery'], sparsity: 0.8 }, training: { momentum: 0 } }],
  prune: [{ prune: { from: 'train_eab378d84d29de91', layerSparsities: { 'fc.weight': 0.5 } } }],
};

test('commandFor: the sprig command of a run identifies to the same run id, for every kind', async () => {
  const { identifyFromFlags, addSchemaFlags } = await import('../src/experiments/schema-flags.js');
  const { Command } = await import('commander');
  for (const kind of KIND_NAMES) {
    for (const raw of SAMPLES[kind]!) {
      const { hp, runId } = kindNamed(kind).identify(raw);
      const argv = commandFor(kind, hp as Record<string, unknown>);
      assert.deepEqual(argv.slice(0, 2), ['sprig', kind]);
      const o = addSchemaFlags(new Command(kind), kind).parse(argv.slice(2), { from: 'user' }).opts();
      assert.equal(identifyFromFlags(kind, o).runId, runId, commandText(argv));
    }
  }
  // only what differs from the recipe is spelled out: dst starts from the flagship recipe
  assert.deepEqual(commandFor('dst', KINDS.dst.identify({ training: { weightDecay: 5e-4, lr: 0.05 } }).hp), [
    'sprig',
    'dst',
    '--momentum',
    '0',
    '--lr-schedule',
    'constant',
  ]);
  assert.equal(
    commandText(['sprig', 'lottery', '--retrain', '{"lr":0.05}']),
    `sprig lottery --retrain '{"lr":0.05}'`,
  );
});

test('a run records its recipe version in hparams.json, and an experiment its report in run.json for reindex', () => {
  const root = tempRoot('sprig-kinds-');
  try {
    const tiny = ['--dataset', 'synthetic', '--batch-size', '64', '--quiet', '--root', root];
    const t = sprigJson<{ runDir: string }>(['train', '--model', 'mlp_8', '--train-steps', '1it', ...tiny]);
    assert.equal(
      JSON.parse(readFileSync(join(t.runDir, 'hparams.json'), 'utf8')).recipe,
      KINDS.train.recipeVersion,
    );
    const b = sprigJson<{ runDir: string }>([
      'bootstrap',
      '--models',
      'mlp_8',
      '--n',
      '64',
      '--train-steps',
      '2it',
      '--log-every',
      '1it',
      ...tiny,
    ]);
    assert.equal(JSON.parse(readFileSync(join(b.runDir, 'run.json'), 'utf8')).report, 'bootstrap');
    assert.equal(
      JSON.parse(readFileSync(join(b.runDir, 'hparams.json'), 'utf8')).recipe,
      KINDS.bootstrap.recipeVersion,
    );
    // rebuilt from the directories, the experiment is finished by the report its run.json names
    sprigJson(['reindex', '--root', root]);
    const store = new RunStore(root);
    const runId = JSON.parse(readFileSync(join(b.runDir, 'run.json'), 'utf8')).runId as string;
    assert.equal(store.index.get(runId)?.status, 'finished');
    store.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { fieldFor, flagsFor, hparamsFromFlags } from '../src/experiments/schema-flags.js';
import { KINDS, KIND_NAMES, type KindName } from '../src/experiments/kinds.js';
import { addExperimentFlags } from '../src/cli/experiment.js';
import type { CommonOptions } from '../src/cli/flags.js';
import { methodNames } from '../src/algorithms/index.js';
import { distributionNames } from '../src/sparsity/index.js';
import { SprigError } from '../src/util/errors.js';
import { tempRoot } from './helpers.js';

const kinds = KIND_NAMES;

function command(kind: KindName, recipe = {}) {
  const cmd = new Command(kind).exitOverride().configureOutput({ writeErr: () => {} });
  addExperimentFlags(cmd, kind, recipe);
  return cmd;
}
const parse = (kind: KindName, args: string[]) =>
  command(kind).parse(args, { from: 'user' }).opts() as CommonOptions;

test('every schema field of every kind is a flag with a description, shown in --help with its default', () => {
  for (const kind of kinds) {
    const help = command(kind).helpInformation().replace(/\s+/g, ' ');
    const fields = flagsFor(kind);
    const schemaFields = Object.values(KINDS[kind].groups as Record<string, { shape: object }>).reduce(
      (n, g) => n + Object.keys(g.shape).length,
      0,
    );
    assert.equal(fields.length, schemaFields, kind);
    for (const f of fields) {
      assert.notEqual(f.description, f.key, `${kind} ${f.group}.${f.key} has a description`);
      assert.match(help, new RegExp(`--(no-)?${f.flag}\\b`), `${kind} --${f.flag} in help`);
      if (typeof f.default === 'number' || typeof f.default === 'string')
        assert.ok(help.includes(`(default ${String(f.default)})`), `${kind} --${f.flag} default in help`);
    }
  }
  // the training recipe of a command replaces the schema's default in its help
  assert.match(
    command('dst', { training: { lr: 0.05 } }).helpInformation(),
    /--lr <x>\s+learning rate \(default 0\.05\)/,
  );
});

test('enums come from the registries: --method, --distribution and --prune-scope have choices', () => {
  assert.deepEqual(fieldFor('dst', 'method').choices, methodNames);
  assert.deepEqual(fieldFor('dst', 'distribution').choices, distributionNames);
  assert.deepEqual(fieldFor('lottery', 'prune-scope').choices, ['layer', 'global']);
  assert.throws(() => parse('dst', ['--method', 'lottery']), /Allowed choices are dense, small_dense/);
});

test('a value of another flag names it: `sprig dst --init from-model` points to --model-init', () => {
  assert.throws(
    () => parse('dst', ['--init', 'from-model']),
    /Allowed choices are dense, layer_scaled, unit_scaled\. 'from-model' is a choice of --model-init: did you mean --model-init from-model\?/,
  );
  assert.equal(parse('dst', ['--model-init', 'from-model']).modelInit, 'from-model');
  assert.equal(parse('dst', ['--init', 'unit_scaled']).init, 'unit_scaled');
});

test('one type per field: --delta-t is an integer in dst and in gradflow', () => {
  assert.equal(parse('dst', ['--delta-t', '20']).deltaT, 20);
  for (const kind of ['dst', 'gradflow'] as const) {
    assert.equal(fieldFor(kind, 'deltaT').type, 'int');
    assert.throws(() => parse(kind, ['--delta-t', '2.5']), SprigError);
  }
});

test('formerly unreachable fields have flags: Adam betas, snfsMomentum, densities', () => {
  const o = parse('dst', [
    '--beta1',
    '0.8',
    '--snfs-momentum',
    '0.5',
    '--densities',
    'fc1.weight=0.1,fc.weight=1',
    '--t-end',
    '8ep',
    '--no-dense-first-layer',
  ]);
  const hp = hparamsFromFlags('dst', o);
  assert.equal(hp.training!.beta1, 0.8);
  assert.equal(hp.dst!.snfsMomentum, 0.5);
  assert.deepEqual(hp.dst!.densities, { 'fc1.weight': 0.1, 'fc.weight': 1 });
  assert.equal(hp.dst!.tEnd, '8ep');
  assert.equal(hp.dst!.denseFirstLayer, false);
  assert.equal(parse('dst', ['--t-end', '0.5']).tEnd, 0.5);
});

test('precedence: recipe < config file < flags; unset flags leave the config alone', () => {
  const config = join(tempRoot(), 'c.json');
  writeFileSync(config, JSON.stringify({ training: { lr: 0.2, nesterov: true }, dst: { method: 'set' } }));
  const recipe = { training: { lr: 0.05, momentum: 0.9 } };
  const hp = hparamsFromFlags('dst', { ...parse('dst', ['--config', config, '--sparsity', '0.8']) }, recipe);
  assert.deepEqual(hp.training, { lr: 0.2, momentum: 0.9, nesterov: true });
  assert.deepEqual(hp.dst, { method: 'set', sparsity: 0.8 });
  assert.equal(hparamsFromFlags('dst', parse('dst', ['--config', config, '--lr', '0.3'])).training!.lr, 0.3);
});

test('fieldFor names a field by key, group.key or flag, and fails with the list', () => {
  for (const name of ['trainSteps', 'training.trainSteps', 'train-steps'])
    assert.deepEqual(
      [fieldFor('train', name).group, fieldFor('train', name).key],
      ['training', 'trainSteps'],
    );
  assert.equal(fieldFor('lottery', 'pruning.rewind').flag, 'rewind');
  assert.throws(() => fieldFor('train', 'nope'), /'nope' is not a hyperparameter of train[\s\S]*train-steps/);
});

/**
 * Defect: `sprig lottery` pruned layerwise with the output layer at the full rate p, a recipe of no
 * paper. The default is now Frankle & Carbin's (layerwise, output at p/2); `--prune-scope global`
 * is OpenLTH's (one global threshold, output never pruned). Old default runs must not be reused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LOTTERY_RECIPE_VERSION,
  lotteryHparamsSchema,
  lotteryRunId,
  oneShotOptions,
  pruneOptions,
} from '../src/experiments/lottery-hparams.js';
import { runId, validate } from '../src/experiments/hparams.js';
import { layerRules } from '../src/sparsity/prune.js';
import { dense } from './spec-fixtures.js';

const hp = (pruning: object = {}) => validate(lotteryHparamsSchema, { pruning });
const specs = [dense('fc1', 20, 10), dense('fc2', 10, 4, true)];

test('default IMP recipe is Frankle & Carbin: layerwise, output layer at half the rate', () => {
  const rules = layerRules(specs, pruneOptions(hp().pruning));
  assert.deepEqual(rules.get('fc1'), { kind: 'rate', rate: 0.2 });
  assert.deepEqual(rules.get('fc2'), { kind: 'rate', rate: 0.1 });
  const r3 = layerRules(specs, pruneOptions(hp({ pruneFraction: 0.3 }).pruning));
  assert.ok(Math.abs((r3.get('fc2') as { rate: number }).rate - 0.15) < 1e-12);
});

test('--prune-scope global is OpenLTH: one threshold, output layer never pruned', () => {
  const rules = layerRules(specs, pruneOptions(hp({ pruneScope: 'global' }).pruning));
  assert.deepEqual(rules.get('fc1'), { kind: 'pool' });
  assert.deepEqual(rules.get('fc2'), { kind: 'rate', rate: 0 });
  assert.equal(oneShotOptions(hp({ pruneScope: 'global' }).pruning, 0.5).outputRate, 0);
});

test('an old default run id never stands for the new recipe; the same recipe keeps its id', () => {
  const oldDefault = runId('lottery', {}, LOTTERY_RECIPE_VERSION); // the old default: every field at its default
  assert.notEqual(lotteryRunId(hp()), oldDefault);
  assert.notEqual(
    lotteryRunId(hp({ pruneScope: 'global' })),
    runId('lottery', { pruning: { pruneScope: 'global' } }, LOTTERY_RECIPE_VERSION),
  );
  // layerwise with an explicit output rate p/2 was already this recipe: its id is unchanged
  assert.equal(
    lotteryRunId(hp()),
    runId('lottery', { pruning: { outputFraction: 0.1 } }, LOTTERY_RECIPE_VERSION),
  );
  // the old behaviour is one flag away, under a new id
  assert.notEqual(lotteryRunId(hp({ outputFraction: 0.2 })), oldDefault);
});

/**
 * Pinned run ids of every run kind, through the CLI as a user makes them. A run's id is the hash of
 * its non-default hyperparameters and its kind's recipe version: a refactor that changes one of
 * these orphans every stored run of that kind. Update a pin only when the change is intended (a
 * bumped recipe version), and say why in the commit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { RunStore } from '../src/store/store.js';
import { sprigJson, tempRoot } from './helpers.js';

const TINY = ['--dataset', 'synthetic', '--batch-size', '64', '--quiet'];

/** Runs `commands` in a fresh store; every run id it indexed or made a directory for, sorted. */
function idsOf(...commands: string[][]): string[] {
  const root = tempRoot('sprig-ids-');
  try {
    for (const args of commands) sprigJson([...args, ...TINY, '--root', root]);
    const store = new RunStore(root);
    const indexed = store.index.list().map((r) => r.runId);
    store.close();
    // the bootstrap and gradflow experiments are directories that the index does not list
    const dirs = readdirSync(root).filter((d) => /_[0-9a-f]{16}$/.test(d));
    return [...new Set([...indexed, ...dirs])].sort();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const PRINT = process.env.SPRIG_PRINT_IDS === '1';
function pin(name: string, actual: string[], expected: string[]) {
  if (PRINT) console.log(name, JSON.stringify(actual, null, 2));
  assert.deepEqual(actual, expected, `${name}: run ids changed`);
}

test('run ids: train', () => {
  pin(
    'train',
    idsOf(
      ['train', '--model', 'mlp_8', '--train-steps', '1it'],
      ['train', '--model', 'mlp_8', '--train-steps', '1it', '--lr', '0.05', '--lr-schedule', 'cosine'],
    ),
    ['train_5b3a59c7a2a9a01b', 'train_823088f9cd28613d'],
  );
});

test('run ids: dst, every method (magnitude_init added), M× and a step-valued T_end', () => {
  const dst = ['dst', '--model', 'mlp_16', '--train-steps', '8it', '--delta-t', '2', '--sparsity', '0.8'];
  pin(
    'dst',
    idsOf(
      [...dst, '--methods', 'dense,small_dense,static,snip,set,snfs,rigl,gmp,magnitude_init', '--seeds', '0'],
      [...dst, '--method', 'rigl', '--multiplier', '2', '--t-end', '4it', '--distribution', 'uniform'],
    ),
    [
      'dst_17dbf84b1434790d',
      'dst_1de3d9ede350a4d4',
      'dst_3bb7cc9561f78dd7',
      'dst_61bea78b1776ffdb',
      'dst_7fd9cb93dc2c9db3',
      'dst_ae4757bb81e64371',
      'dst_c7103126fceeb616',
      'dst_d5154729e115167e',
      'dst_d56a29d0dbb8c44e',
      'dst_f4a13d1f34779d8e',
    ],
  );
});

test('run ids: lottery levels, one-shot and branches', () => {
  pin(
    'lottery',
    idsOf([
      'lottery',
      '--model',
      'mlp_8',
      '--train-steps',
      '2it',
      '--levels',
      '1',
      '--one-shot',
      '0.5',
      '--rewind',
      '1it',
      '--branches',
      'reinit,random_mask,kd,kd_rewind,retrain,lr_rewind,basis:dct',
      '--retrain',
      '{"lr":0.05}',
      '--basis-block',
      '4',
    ]),
    [
      'lottery_669df53d8b2e33b4',
      'lottery_669df53d8b2e33b4.oneshot',
      'lottery_669df53d8b2e33b4.r0.L0',
      'lottery_669df53d8b2e33b4.r0.L1',
      'lottery_669df53d8b2e33b4.r0.L1.basis_dct_f4e8ba9f8dc7609c',
      'lottery_669df53d8b2e33b4.r0.L1.kd_47d92652bae24c20',
      'lottery_669df53d8b2e33b4.r0.L1.kd_rewind_bb3cbec4cb361781',
      'lottery_669df53d8b2e33b4.r0.L1.lr_rewind_001311f5e5b95802',
      'lottery_669df53d8b2e33b4.r0.L1.random_mask_66ec6eeda8d30cce',
      'lottery_669df53d8b2e33b4.r0.L1.reinit_1ad278bb5accbd8e',
      'lottery_669df53d8b2e33b4.r0.L1.retrain_469d9c17a9a051e9',
      'lottery_669df53d8b2e33b4.r0.S0.5',
      'lottery_669df53d8b2e33b4.r0.S0.5.basis_dct_f4e8ba9f8dc7609c',
      'lottery_669df53d8b2e33b4.r0.S0.5.kd_47d92652bae24c20',
      'lottery_669df53d8b2e33b4.r0.S0.5.kd_rewind_bb3cbec4cb361781',
      'lottery_669df53d8b2e33b4.r0.S0.5.lr_rewind_001311f5e5b95802',
      'lottery_669df53d8b2e33b4.r0.S0.5.random_mask_66ec6eeda8d30cce',
      'lottery_669df53d8b2e33b4.r0.S0.5.reinit_1ad278bb5accbd8e',
      'lottery_669df53d8b2e33b4.r0.S0.5.retrain_469d9c17a9a051e9',
    ],
  );
});

test('run ids: bootstrap and its worlds', () => {
  pin(
    'bootstrap',
    idsOf(['bootstrap', '--models', 'mlp_8', '--n', '64', '--train-steps', '2it', '--log-every', '1it']),
    ['bootstrap_d9b1227cce9cd4d8', 'bootstrap_ideal_762940b0424148ff', 'bootstrap_real_3d86d442fcbab556'],
  );
});

test('run ids: gradflow and its child runs', () => {
  pin(
    'gradflow',
    idsOf([
      'gradflow',
      '--model',
      'mlp_8',
      '--train-steps',
      '4it',
      '--sparsity',
      '0.8',
      '--log-every',
      '2it',
      '--grad-batch',
      '32',
      '--delta-t',
      '2',
      '--gmp-frequency',
      '1',
      '--interpolation-points',
      '2',
    ]),
    [
      // recipe 2 (issue 21): scratch and scratch+ train the pruning solution's mask; random_mask is new
      'gradflow_d99421c4ad09a050',
      'gradflow_run_4af2f3e06df08b45',
      'gradflow_run_50f8c0097497c729',
      'gradflow_run_90fd53b1153568ed',
      'gradflow_run_9d2d9890008ff787',
      'gradflow_run_9d85fcaee6cd71fb',
      'gradflow_run_ccc8dedfb38f154b',
      'gradflow_run_ecab751cdc49ddf4',
    ],
  );
});

test('run ids: gradflow with every gradflow field off its default', () => {
  const g = ['gradflow', '--model', 'mlp_8', '--train-steps', '8it', '--grad-batch', '32'];
  pin(
    'gradflow fields',
    idsOf([
      ...g,
      ...['--sparsity', '0.7', '--distribution', 'erk', '--dense-first-layer', '--log-every', '4it'],
      ...['--init-scale', '3', '--gmp-begin', '0.2', '--gmp-end', '0.7', '--gmp-frequency', '2'],
      ...['--delta-t', '3', '--drop-fraction', '0.2', '--t-end', '0.5', '--interpolation-points', '2'],
    ]),
    [
      // recipe 2 (issue 21)
      'gradflow_a278d9302ed4e8f4',
      'gradflow_run_0ef10948590417db',
      'gradflow_run_5eadbd6f764aa521',
      'gradflow_run_63ee4ef90141ea6a',
      'gradflow_run_6ae423260e680b97',
      'gradflow_run_a95836294cd33907',
      'gradflow_run_ac47d30dcd72ab7f',
      'gradflow_run_ba2d0faecfc1c54c',
    ],
  );
});

/**
 * Every method's dst run id with each field of the dst group off its default (and the plain
 * method), hashed without training: a change to how the group is validated, normalised or split
 * per method must leave each of these ids as it is.
 */
test('run ids: dst, every method with every dst field off its default', async () => {
  const { dstHparamsSchema, dstRunId, normaliseDst } = await import('../src/experiments/dst.js');
  const { validate } = await import('../src/experiments/hparams.js');
  const { methodNames } = await import('../src/algorithms/index.js');
  const offDefault = {
    sparsity: 0.8,
    distribution: 'uniform',
    denseFirstLayer: false,
    powerScale: 2,
    densities: { 'fc1.weight': 0.3 },
    deltaT: 7,
    dropFraction: 0.2,
    dropDecay: 'inverse_power',
    decayPower: 2,
    tEnd: '3ep',
    init: 'unit_scaled',
    initScale: 3,
    multiplier: 2,
    gmpBegin: 0.2,
    gmpEnd: '4ep',
    gmpFrequency: 3,
    gmpInitialSparsity: 0.1,
    snfsMomentum: 0.8,
  };
  const id = (dst: Record<string, unknown>, training: Record<string, unknown> = {}) =>
    dstRunId(normaliseDst(validate(dstHparamsSchema, { dst, training })));
  const ids: Record<string, string[]> = {};
  for (const method of methodNames)
    ids[method] = [
      id({ method }),
      id({ method, ...offDefault }),
      id({ method, init: 'unit_scaled' }),
      id({ method, multiplier: 3 }, { warmup: '2it' }),
    ];
  if (PRINT) console.log('dst per method', JSON.stringify(ids, null, 2));
  assert.deepEqual(ids, PER_METHOD, 'dst per method: run ids changed');
});

/** [plain, every field off its default, unit_scaled init, M = 3 with a warm-up] per method. */
const PER_METHOD: Record<string, string[]> = {
  dense: ['dst_97cbb2214565dd41', 'dst_5842a735f7439489', 'dst_97cbb2214565dd41', 'dst_60de1284b058e5a0'],
  small_dense: [
    'dst_e63faacaaead4cc5',
    'dst_36d963664bb0ebb4',
    'dst_e63faacaaead4cc5',
    'dst_fdeef2029caed143',
  ],
  static: ['dst_01017b2beb1bcdd2', 'dst_7c04644d8705f092', 'dst_47b1db9567973b37', 'dst_ddf96b7b73f6117f'],
  snip: ['dst_409be0e9ccbd74fc', 'dst_00e58f9c50802495', 'dst_9061c6c14cd26824', 'dst_3f8bf28acf3f7779'],
  set: ['dst_97eb63e23459d744', 'dst_c7826ea708fea20c', 'dst_6c804398e39924fd', 'dst_a8a0904d6c093434'],
  snfs: ['dst_536261035dbc6e49', 'dst_d9a0550647b625bb', 'dst_ef1c2759f7e8e4a9', 'dst_d593cba5be5437a0'],
  rigl: ['dst_eab378d84d29de91', 'dst_0b68fc59ab1c74b5', 'dst_5ff20af1a76a9211', 'dst_95230bffd9befca1'],
  gmp: ['dst_21babcf7ed0ed27c', 'dst_511fba80b34ab198', 'dst_21babcf7ed0ed27c', 'dst_df345620ede43b95'],
  magnitude_init: [
    'dst_d453d5f320975d6f',
    'dst_f4a2c85ddb306665',
    'dst_1fa429c99a92f030',
    'dst_f553ca08f0bace64',
  ],
};

/**
 * Recipe versions (#21): every kind hashes its version into its ids, even at its defaults; a
 * bumped version gives new ids, the current one gives the pinned ids above.
 */
test('run ids: a bumped recipe version gives new ids, the current one keeps the pins', async () => {
  const { KINDS } = await import('../src/experiments/kinds.js');
  const samples: Record<string, unknown> = {
    train: { model: { name: 'mlp_8' }, training: { trainSteps: '1it' } },
    dst: {},
    lottery: {},
    bootstrap: {},
    gradflow: {},
    prune: { prune: { from: 'train_eab378d84d29de91' } },
  };
  for (const kind of Object.values(KINDS)) {
    const raw = samples[kind.name];
    const id = kind.identify(raw).runId;
    assert.equal(kind.identify(raw, kind.recipeVersion).runId, id, kind.name);
    assert.notEqual(kind.identify(raw, kind.recipeVersion + 1).runId, id, `${kind.name}: bumped`);
    assert.match(id, new RegExp(`^${kind.name}_[0-9a-f]{16}$`));
  }
  // the defaults hash their version too: the empty canonical JSON is no longer every kind's id
  assert.equal(KINDS.dst.identify({}).runId, PER_METHOD.rigl![0]);
});

/**
 * The flags every training command shares, so that scripts can drive sprig the same way whatever
 * the experiment. Flags override a `--config FILE` (JSON with the same groups as hparams.json), and
 * everything is validated by the hyperparameter schemas.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { SprigError } from '../util/errors.js';
import { defaultRoot } from '../store/store.js';
import { MODEL_NAMES } from '../models/registry.js';
import { isModelFile, modelFileSha256 } from '../models/layers-model.js';
import { sparseInitNames } from '../sparsity/init.js';
import { DATASET_NAMES } from '../data/registry.js';

export interface CommonOptions {
  root: string;
  json?: boolean;
  quiet?: boolean;
  config?: string;
  [flag: string]: unknown;
}

export const num = (v: string) => {
  const x = Number(v);
  if (!Number.isFinite(x)) throw new SprigError(`'${v}' is not a number`, 'pass a number, e.g. 0.1');
  return x;
};
export const int = (v: string) => {
  const x = Number(v);
  if (!Number.isInteger(x)) throw new SprigError(`'${v}' is not an integer`, 'pass a whole number');
  return x;
};
export const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function addOutputFlags(cmd: Command): Command {
  return cmd
    .option('--root <dir>', 'run store directory (or SPRIG_ROOT)', defaultRoot())
    .option('--json', 'print a machine-readable result on stdout')
    .option('--quiet', 'no progress output');
}

/** Model, data and training flags; `defaults` are this command's own defaults for them. */
export function addTrainingFlags(cmd: Command): Command {
  addOutputFlags(cmd);
  return cmd
    .option('--config <file>', 'JSON file with {dataset, model, training, …} groups; flags override it')
    .option('--model <name>', `model: ${MODEL_NAMES.join(', ')}, or a TF.js LayersModel model.json`)
    .option(
      '--init <how>',
      `'from-model': start from the --model file's weights ('fresh', default: drawn anew); dst also takes its sparse inits ${sparseInitNames.join(', ')}`,
    )
    .option('--dataset <name>', `dataset: ${DATASET_NAMES.join(', ')}`)
    .option(
      '--data-dir <dir>',
      "directory holding the dataset files (MNIST, CIFAR; Fashion-MNIST defaults to Debian's package)",
    )
    .option('--validation <n>', 'hold out n training examples for validation', int)
    .option('--subset <n>', 'train on only n training examples', int)
    .option('--augment', 'CIFAR augmentation (random crop + flip)')
    .option('--no-augment', 'no augmentation')
    .option('--train-steps <step>', "training length: '10ep', '500it', '2ep100it'")
    .option('--batch-size <n>', 'mini-batch size', int)
    .option('--lr <x>', 'learning rate', num)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['sgd', 'adam']))
    .option('--momentum <x>', 'SGD momentum', num)
    .option('--nesterov', 'Nesterov momentum')
    .option('--weight-decay <x>', 'L2 weight decay', num)
    .addOption(
      new Option('--lr-schedule <name>', 'learning-rate schedule').choices([
        'constant',
        'multistep',
        'cosine',
      ]),
    )
    .option('--milestones <steps>', "multistep milestones, e.g. '80ep,120ep'", list)
    .option('--gamma <x>', 'multistep factor', num)
    .option('--warmup <step>', "linear warm-up length, e.g. '500it'")
    .option('--label-smoothing <x>', 'label smoothing ε', num)
    .option('--seed <n>', 'random seed (init, data order)', int);
}

const TRAINING_FLAGS = {
  optimizer: 'optimizer',
  lr: 'lr',
  momentum: 'momentum',
  nesterov: 'nesterov',
  weightDecay: 'weightDecay',
  batchSize: 'batchSize',
  trainSteps: 'trainSteps',
  lrSchedule: 'lrSchedule',
  milestones: 'milestones',
  gamma: 'gamma',
  warmup: 'warmup',
  labelSmoothing: 'labelSmoothing',
  seed: 'seed',
} as const;

export function readConfig(path: string | undefined): Record<string, Record<string, unknown>> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SprigError(
      `cannot read config ${path} (${(e as NodeJS.ErrnoException).code})`,
      'check the --config path',
    );
  }
  try {
    const v = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v;
  } catch (e) {
    throw new SprigError(
      `config ${path} is not a JSON object (${(e as Error).message})`,
      'write it as {"model": {...}, "training": {...}}',
    );
  }
}

/**
 * Hyperparameter groups from config file + flags + the command's defaults (lowest priority),
 * not yet validated. Extra groups (pruning, dst, …) pass through from the config.
 */
export function hparamsFromFlags(
  o: CommonOptions,
  defaults: { dataset?: object; model?: object; training?: object } = {},
): Record<string, Record<string, unknown>> {
  const cfg = readConfig(o.config);
  const group = (name: string, d: object | undefined) =>
    ({ ...(d ?? {}), ...((cfg[name] as object) ?? {}) }) as Record<string, unknown>;
  const dataset = group('dataset', defaults.dataset);
  const model = group('model', defaults.model);
  const training = group('training', defaults.training);
  if (o.model !== undefined)
    Object.assign(
      model,
      isModelFile(String(o.model))
        ? { name: 'layers_model', file: o.model, sha256: undefined }
        : { name: o.model, file: undefined, sha256: undefined },
    );
  if (o.init === 'fresh' || o.init === 'from-model') model.init = o.init;
  if (typeof model.file === 'string' && model.sha256 === undefined)
    model.sha256 = modelFileSha256(model.file);
  if (o.dataset !== undefined) dataset.name = o.dataset;
  if (o.dataDir !== undefined) dataset.dataDir = o.dataDir;
  if (o.validation !== undefined) dataset.validation = o.validation;
  if (o.subset !== undefined) dataset.subset = o.subset;
  if (o.augment !== undefined) dataset.augment = o.augment;
  for (const [k, flag] of Object.entries(TRAINING_FLAGS)) if (o[flag] !== undefined) training[k] = o[flag];
  return { ...cfg, dataset, model, training };
}

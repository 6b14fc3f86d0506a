/**
 * Typed hyperparameter groups, one schema per concern, validated at the boundary (CLI flags and
 * config files both go through these). Every field has a default that never changes: a run's
 * identity is the hash of its non-default values and its kind's recipe version (OpenLTH's hashname,
 * with a version), so adding a field with a default keeps every existing hash.
 */
import { z } from 'zod';
import { createHash } from 'node:crypto';
import { SprigError } from '../util/errors.js';
import { Step } from '../training/step.js';
import { DATASET_NAMES } from '../data/registry.js';
import { MODEL_NAMES } from '../models/registry.js';
import { ENGINES } from '../engine/index.js';

/** A Step string ('10ep', '500it', '2ep100it'), checked by Step.parse. */
export function stepSchema(message = "must be a step such as '10ep', '500it' or '2ep100it'") {
  return z.string().refine(
    (s) => {
      try {
        Step.parse(s);
        return true;
      } catch {
        return false;
      }
    },
    { message },
  );
}
const step = stepSchema();

/** A name from a registry's list; an unknown one fails with the list, like `unknownName`. */
export function namedEnum<const T extends readonly [string, ...string[]]>(what: string, names: T) {
  return z.enum(names, {
    error: (iss) => `unknown ${what} '${String(iss.input)}'; valid: ${names.join(', ')}`,
  });
}

export const datasetSchema = z
  .object({
    name: z
      .string()
      .default('fashion_mnist')
      .describe(`dataset: ${DATASET_NAMES.join(', ')}`),
    /** Not part of the run's identity. */
    dataDir: z
      .string()
      .optional()
      .describe(
        "directory holding the dataset files (MNIST, CIFAR; Fashion-MNIST defaults to Debian's package)",
      ),
    validation: z.number().int().min(0).default(0).describe('hold out n training examples for validation'),
    augment: z
      .boolean()
      .optional()
      .describe('CIFAR augmentation (random crop + flip); unset: the dataset decides'),
    subset: z.number().int().positive().optional().describe('train on only n training examples'),
  })
  .strict();

export const modelSchema = z
  .object({
    name: z
      .string()
      .default('mnist_lenet_300_100')
      .describe(`model: ${MODEL_NAMES.join(', ')}, or a TF.js LayersModel model.json`),
    /** Content hash of a model.json and its weights: two different files never share a run. */
    sha256: z
      .string()
      .optional()
      .describe('sha256 of the --model model.json and its weights (sprig fills it in; part of the run id)'),
    init: z
      .enum(['fresh', 'from-model'])
      .default('fresh')
      .describe("'from-model': start from the --model file's weights; 'fresh': draw them anew"),
  })
  .strict();

export const trainingSchema = z
  .object({
    optimizer: z
      .enum(['sgd', 'adam'])
      .default('sgd')
      .describe('optimizer (adam takes --beta1, --beta2, --epsilon)'),
    lr: z.number().positive().default(0.1).describe('learning rate'),
    momentum: z.number().min(0).lt(1).default(0).describe('SGD momentum'),
    nesterov: z.boolean().default(false).describe('Nesterov momentum'),
    weightDecay: z.number().min(0).default(0).describe('L2 weight decay'),
    beta1: z.number().min(0).lt(1).default(0.9).describe('Adam β1'),
    beta2: z.number().min(0).lt(1).default(0.999).describe('Adam β2'),
    epsilon: z.number().positive().default(1e-8).describe('Adam ε'),
    batchSize: z.number().int().positive().default(128).describe('mini-batch size'),
    trainSteps: step.default('10ep').describe("training length: '10ep', '500it', '2ep100it'"),
    lrSchedule: z
      .enum(['constant', 'multistep', 'cosine'])
      .default('constant')
      .describe('learning-rate schedule'),
    milestones: z.array(step).default([]).describe("multistep milestones, e.g. '80ep,120ep'"),
    gamma: z.number().positive().default(0.1).describe('multistep factor'),
    warmup: step.default('0it').describe("linear warm-up length, e.g. '500it'"),
    labelSmoothing: z.number().min(0).lt(1).default(0).describe('label smoothing ε'),
    seed: z.number().int().min(0).default(0).describe('random seed (init, data order)'),
    engine: z
      .enum(ENGINES)
      .default('tfjs')
      .describe(
        "'compiled': an MLP's whole training step and evaluation batch in one native call each (TF.js runs what it cannot compile, and says why)",
      ),
  })
  .strict();

export type DatasetHparams = z.infer<typeof datasetSchema>;
export type ModelHparams = z.infer<typeof modelSchema>;
export type TrainingHparams = z.infer<typeof trainingSchema>;

export interface TrainHparams {
  dataset: DatasetHparams;
  model: ModelHparams;
  training: TrainingHparams;
}

export const trainHparamsSchema = z
  .object({
    dataset: datasetSchema.prefault({}),
    model: modelSchema.prefault({}),
    training: trainingSchema.prefault({}),
  })
  .strict();

/** Parse and validate, with an error that names the bad field. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what = 'hyperparameters',
): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
  throw new SprigError(
    `invalid ${what}:\n  ${lines.join('\n  ')}`,
    'correct the named field(s); `sprig <command> --help` lists them',
  );
}

/** Fields that say where things are, not what the run is. */
const NOT_IDENTITY = new Set(['dataDir']);

/** The non-default values of each group, keys sorted: the run's identity. */
export function canonical(
  value: Record<string, unknown>,
  defaults: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    if (NOT_IDENTITY.has(k)) continue;
    const v = value[k];
    const d = defaults[k];
    if (v === undefined) continue;
    if (isPlainObject(v)) {
      const sub = canonical(v, isPlainObject(d) ? d : {});
      if (Object.keys(sub).length) out[k] = sub;
    } else if (JSON.stringify(v) !== JSON.stringify(d)) {
      out[k] = v;
    }
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `kind_<16 hex of sha256(canonical JSON)>`: the run directory's name. The kind's recipe version is
 * hashed always, even at its default, so a changed default or behaviour never finds an older run.
 */
export function runId(kind: string, canonicalHparams: Record<string, unknown>, recipe: number): string {
  const json = JSON.stringify({ recipe, ...canonicalHparams });
  const h = createHash('sha256').update(json).digest('hex').slice(0, 16);
  return `${kind}_${h}`;
}

/** Run id of validated hyperparameters under a schema (defaults taken from the schema itself). */
export function hashedRunId<S extends z.ZodType>(
  kind: string,
  schema: S,
  hp: z.infer<S>,
  recipe: number,
): string {
  const defaults = schema.parse({}) as Record<string, unknown>;
  return runId(kind, canonical(hp as Record<string, unknown>, defaults), recipe);
}

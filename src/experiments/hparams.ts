/**
 * Typed hyperparameter groups, one schema per concern, validated at the boundary (CLI flags and
 * config files both go through these). Every field has a default that never changes: a run's
 * identity is the hash of its non-default values (OpenLTH), so adding a field with a default keeps
 * every existing hash.
 */
import { z } from 'zod';
import { createHash } from 'node:crypto';
import { SprigError } from '../util/errors.js';
import { Step } from '../training/step.js';

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

export const datasetSchema = z
  .object({
    name: z.string().default('fashion_mnist'),
    /** Where the files are; not part of the run's identity. */
    dataDir: z.string().optional(),
    validation: z.number().int().min(0).default(0),
    augment: z.boolean().optional(),
    subset: z.number().int().positive().optional(),
  })
  .strict();

export const modelSchema = z
  .object({
    name: z.string().default('mnist_lenet_300_100'),
    /** A TF.js model.json read as the model (where it is: not part of the run's identity)… */
    file: z.string().optional(),
    /** …and its content hash (part of the identity: two different files never share a run). */
    sha256: z.string().optional(),
    /** 'from-model': start from the file's weights; 'fresh': draw them (default). */
    init: z.enum(['fresh', 'from-model']).default('fresh'),
  })
  .strict();

export const trainingSchema = z
  .object({
    optimizer: z.enum(['sgd', 'adam']).default('sgd'),
    lr: z.number().positive().default(0.1),
    momentum: z.number().min(0).lt(1).default(0),
    nesterov: z.boolean().default(false),
    weightDecay: z.number().min(0).default(0),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-8),
    batchSize: z.number().int().positive().default(128),
    trainSteps: step.default('10ep'),
    lrSchedule: z.enum(['constant', 'multistep', 'cosine']).default('constant'),
    milestones: z.array(step).default([]),
    gamma: z.number().positive().default(0.1),
    warmup: step.default('0it'),
    labelSmoothing: z.number().min(0).lt(1).default(0),
    seed: z.number().int().min(0).default(0),
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
const NOT_IDENTITY = new Set(['dataDir', 'file']);

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

/** `kind_<16 hex of sha256(canonical JSON)>`: the run directory's name. */
export function runId(kind: string, canonicalHparams: Record<string, unknown>): string {
  const h = createHash('sha256').update(JSON.stringify(canonicalHparams)).digest('hex').slice(0, 16);
  return `${kind}_${h}`;
}

/** Run id of validated hyperparameters under a schema (defaults taken from the schema itself). */
export function hashedRunId<S extends z.ZodType>(kind: string, schema: S, hp: z.infer<S>): string {
  const defaults = schema.parse({}) as Record<string, unknown>;
  return runId(kind, canonical(hp as Record<string, unknown>, defaults));
}

/**
 * The one adapter between sweep keys and each experiment kind's hyperparameters. A key is the
 * command's flag in camelCase (`trainSteps` for --train-steps), so a sweep axis is exactly what a
 * user could type. Values become the command's own argv, parsed by the command's own commander
 * definition, then mapped to hyperparameters and a run id the way the command does it. When flags
 * are derived from the schemas (issue 12), only this file changes.
 */
import { createHash } from 'node:crypto';
import { Command, CommanderError, type Option } from 'commander';
import { SprigError, unknownName } from '../util/errors.js';
import { hashedRunId, trainHparamsSchema, validate } from '../experiments/hparams.js';
import { dstHparamsSchema, normaliseDst } from '../experiments/dst.js';
import { lotteryHparamsSchema, lotteryPlanSchema, lotteryRunId } from '../experiments/lottery-hparams.js';
import { bootstrapHparamsSchema } from '../experiments/bootstrap.js';
import { gradflowHparamsSchema } from '../experiments/gradflow.js';
import { hparamsFromFlags, type CommonOptions } from '../cli/flags.js';
import { register as train } from '../cli/train.js';
import { register as dst, dstHparamsFromFlags } from '../cli/dst.js';
import { register as lottery } from '../cli/lottery.js';
import { register as bootstrap, BOOTSTRAP_DEFAULTS, DEFAULT_MODELS } from '../cli/bootstrap.js';
import { register as gradflow, GRADFLOW_DEFAULTS } from '../cli/gradflow.js';

export const KIND_NAMES = ['train', 'dst', 'lottery', 'bootstrap', 'gradflow'] as const;
export type KindName = (typeof KIND_NAMES)[number];

type Value = string | number | boolean | (string | number)[];

/** Flags about where output goes or that run many experiments at once: not hyperparameters. */
const NOT_AXES = new Set(['root', 'json', 'quiet', 'config', 'help', 'methods', 'seeds']);

interface KindDef {
  register: (program: Command) => void;
  /** Flags outside the run id change the work (a lottery's levels and branches): a job is run id + flags. */
  planOutsideId?: true;
  /** The command's options → the run id it would train under (validating as it goes). */
  runId: (o: CommonOptions) => string;
}

const setIf = (target: Record<string, unknown>, key: string, v: unknown) => {
  if (v !== undefined) target[key] = v;
};
const splitList = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const LOTTERY_PLAN_FLAGS = [
  'levels',
  'replicates',
  'branches',
  'branchLevels',
  'oneShot',
  'kdAlpha',
  'kdTemperature',
  'kdRewind',
  'retrain',
  'basisBlock',
  'basisSeed',
  'basisRemainder',
  'branchesOnly',
];

const KINDS = {
  train: {
    register: train,
    runId: (o) => hashedRunId('train', trainHparamsSchema, validate(trainHparamsSchema, hparamsFromFlags(o))),
  },
  dst: {
    register: dst,
    runId: (o) =>
      hashedRunId('dst', dstHparamsSchema, normaliseDst(validate(dstHparamsSchema, dstHparamsFromFlags(o)))),
  },
  lottery: {
    register: lottery,
    planOutsideId: true,
    // As src/cli/lottery.ts's action: the pruning group from flags; the plan does not enter the id.
    runId: (o) => {
      const { lottery: planGroup, ...groups } = hparamsFromFlags(o);
      const pruning: Record<string, unknown> = { ...(groups.pruning ?? {}) };
      for (const k of [
        'pruneFraction',
        'pruneScope',
        'outputFraction',
        'layerFractions',
        'exclude',
        'rewind',
      ])
        setIf(pruning, k, o[k]);
      const plan: Record<string, unknown> = { ...(planGroup ?? {}) };
      for (const k of LOTTERY_PLAN_FLAGS) setIf(plan, k, o[k]);
      validate(lotteryPlanSchema, plan, 'lottery plan');
      return lotteryRunId(validate(lotteryHparamsSchema, { ...groups, pruning }, 'lottery hyperparameters'));
    },
  },
  bootstrap: {
    register: bootstrap,
    // As src/cli/bootstrap.ts's action, and runBootstrap's id (the model list resolved).
    runId: (o) => {
      const raw = hparamsFromFlags(o, BOOTSTRAP_DEFAULTS);
      const b: Record<string, unknown> = { ...(raw.bootstrap ?? {}) };
      for (const k of ['n', 'logEvery', 'threshold']) setIf(b, k, o[k]);
      if (o.allowRepeats) b.allowRepeats = true;
      if (typeof o.source === 'string') {
        if (o.source === 'teacher' || o.source === 'pool') b.source = o.source;
        else {
          b.source = 'pool';
          raw.dataset = { ...raw.dataset, name: o.source };
        }
      }
      if (typeof o.models === 'string') b.models = splitList(o.models);
      else if (o.model === undefined && b.models === undefined) b.models = DEFAULT_MODELS;
      const hp = validate(bootstrapHparamsSchema, { ...raw, bootstrap: b });
      const models = hp.bootstrap.models.length ? hp.bootstrap.models : [hp.model.name];
      return hashedRunId('bootstrap', bootstrapHparamsSchema, {
        ...hp,
        bootstrap: { ...hp.bootstrap, models },
      });
    },
  },
  gradflow: {
    register: gradflow,
    // As src/cli/gradflow.ts's action.
    runId: (o) => {
      const raw = hparamsFromFlags(o, GRADFLOW_DEFAULTS);
      const g: Record<string, unknown> = { ...(raw.gradflow ?? {}) };
      for (const k of [
        'sparsity',
        'logEvery',
        'gradBatch',
        'distribution',
        'deltaT',
        'gmpFrequency',
        'interpolationPoints',
      ])
        setIf(g, k, o[k]);
      if (typeof o.runs === 'string') g.runs = splitList(o.runs);
      return hashedRunId(
        'gradflow',
        gradflowHparamsSchema,
        validate(gradflowHparamsSchema, { ...raw, gradflow: g }),
      );
    },
  },
} satisfies Record<KindName, KindDef>;

/** A fresh copy of the kind's command (commander keeps parsed values on a command, so one per parse). */
function commandOf(kind: KindName): Command {
  const program = new Command('sprig').exitOverride();
  KINDS[kind].register(program);
  const cmd = program.commands.find((c) => c.name() === kind)!;
  return cmd.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
}

/** The sweep keys a kind accepts: its flags in camelCase, less those that are not hyperparameters. */
export function kindKeys(kind: KindName): string[] {
  const keys = commandOf(kind).options.map((opt) => opt.attributeName());
  return [...new Set(keys)].filter((k) => !NOT_AXES.has(k)).sort();
}

/** One key's value as the command's argv; `field` names it in errors (e.g. `grid.method`). */
function flagArgs(options: readonly Option[], key: string, v: Value, field: string): string[] {
  const mine = options.filter((opt) => opt.attributeName() === key);
  if (!mine.length || NOT_AXES.has(key)) {
    const valid = [...new Set(options.map((opt) => opt.attributeName()))].filter((k) => !NOT_AXES.has(k));
    throw unknownName(`key at ${field}`, key, valid.sort());
  }
  if (typeof v === 'boolean') {
    const on = mine.find((opt) => !opt.negate && opt.isBoolean());
    const off = mine.find((opt) => opt.negate);
    if (v && on) return [on.long!];
    if (!v && off) return [off.long!];
    if (v && off && !on) return []; // a negatable switch defaults to on
    throw new SprigError(
      `${field}: ${key} = ${v} is not a valid value`,
      on || off ? `leave ${key} out for its default` : `${key} takes a value, not true/false`,
    );
  }
  const takes = mine.find((opt) => !opt.negate && !opt.isBoolean());
  if (!takes)
    throw new SprigError(
      `${field}: ${key} is a switch, got ${JSON.stringify(v)}`,
      `write ${key}: true or false`,
    );
  const text = Array.isArray(v) ? v.join(',') : String(v);
  try {
    takes.parseArg?.(text, undefined);
  } catch (e) {
    throw new SprigError(
      `${field}: ${(e as Error).message.split('\n')[0]}`,
      `correct ${field} in the sweep file`,
    );
  }
  if (takes.argChoices && !takes.argChoices.includes(text))
    throw new SprigError(
      `${field}: '${text}' is not one of ${takes.argChoices.join(', ')}`,
      `correct ${field} in the sweep file`,
    );
  return [takes.long!, text];
}

export interface PlannedRun {
  runId: string;
  /** The job's identity: the run id, plus a hash of the flags when they do more than the id says. */
  key: string;
  /** Whether a finished run id means this job has nothing left to do. */
  complete: boolean;
  /** The command's argv, less --root and output flags. */
  args: string[];
}

/**
 * One run's parameters → its argv and run id, checked as the command would check them. `fields`
 * maps each key to where the sweep file set it, for error messages.
 */
export function planRun(
  kind: KindName,
  params: Record<string, Value>,
  fields: Record<string, string>,
): PlannedRun {
  const cmd = commandOf(kind);
  const args = Object.entries(params).flatMap(([k, v]) => flagArgs(cmd.options, k, v, fields[k] ?? k));
  let options: CommonOptions | undefined;
  cmd.action((o: CommonOptions) => {
    options = o;
  });
  try {
    cmd.parse(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError)
      throw new SprigError(
        `sweep run ${args.join(' ')}: ${e.message.replace(/^error: /, '')}`,
        'correct the sweep file',
      );
    throw e;
  }
  if (!options) throw new Error(`sprig ${kind}: the command did not parse`);
  try {
    const runId = KINDS[kind].runId(options);
    const def: KindDef = KINDS[kind];
    if (!def.planOutsideId) return { runId, key: runId, complete: true, args };
    const flags = createHash('sha256').update(JSON.stringify(args)).digest('hex').slice(0, 8);
    return { runId, key: `${runId}-${flags}`, complete: false, args };
  } catch (e) {
    if (!(e instanceof SprigError)) throw e;
    throw new SprigError(`in the sweep's run \`sprig ${kind} ${args.join(' ')}\`: ${e.message}`);
  }
}

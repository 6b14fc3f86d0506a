/**
 * The one adapter between sweep keys and each experiment kind's hyperparameters. A key is the
 * command's flag in camelCase (`trainSteps` for --train-steps), or a schema field as
 * src/experiments/schema-flags.ts names it (`training.trainSteps`, `train-steps`): a sweep axis is exactly
 * what a user could type. Values become the command's own argv, parsed by the command's own
 * (schema-derived) flags, then turned into hyperparameters and a run id by the kind, as the command does.
 */
import { createHash } from 'node:crypto';
import { Command, CommanderError, type Option } from 'commander';
import { SprigError, unknownName } from '../util/errors.js';
import { KIND_NAMES, kindNamed, type KindName } from '../experiments/kinds.js';
import { addSchemaFlags, fieldFor, identifyFromFlags, type FlagValues } from '../experiments/schema-flags.js';

export { KIND_NAMES, type KindName };

type Value = string | number | boolean | (string | number)[];

/** Flags about where output goes or that run many experiments at once: not hyperparameters. */
const NOT_AXES = new Set(['root', 'json', 'quiet', 'config', 'help', 'methods', 'seeds']);

/** A fresh parser of the kind's flags, as its command has them (commander keeps parsed values, so one per parse). */
function commandOf(kind: KindName): Command {
  const cmd = addSchemaFlags(new Command(kind), kind);
  return cmd.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
}

/** A key as the command's option attribute: a flag in camelCase, or a schema field's `group.key` or flag name. */
function attributeOf(kind: KindName, options: readonly Option[], key: string): string {
  if (options.some((opt) => opt.attributeName() === key)) return key;
  try {
    return fieldFor(kind, key).flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  } catch {
    return key; // flagArgs names it as unknown, with the valid keys
  }
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
    throw new SprigError(`${field}: ${(e as Error).message.split('\n')[0]}`, `correct ${fixWhere(field)}`);
  }
  if (takes.argChoices && !takes.argChoices.includes(text))
    throw new SprigError(
      `${field}: '${text}' is not one of ${takes.argChoices.join(', ')}`,
      `correct ${fixWhere(field)}`,
    );
  return [takes.long!, text];
}

/** Where a value came from, for the fix: the sweep file, or the command line's --set. */
const fixWhere = (field: string) => (field.startsWith('--set') ? field : `${field} in the sweep file`);

/** One key and value checked as the command would take them (for --set, before it joins the base). */
export function checkParam(kind: KindName, key: string, v: Value, field: string): void {
  const cmd = commandOf(kind);
  flagArgs(cmd.options, attributeOf(kind, cmd.options, key), v, field);
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
  const args = Object.entries(params).flatMap(([k, v]) =>
    flagArgs(cmd.options, attributeOf(kind, cmd.options, k), v, fields[k] ?? k),
  );
  let options: FlagValues | undefined;
  cmd.action((o: FlagValues) => {
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
    const { runId } = identifyFromFlags(kind, options);
    // flags outside the run id change the work (a lottery's levels and branches): a job is run id + flags
    if (!kindNamed(kind).planGroups?.length) return { runId, key: runId, complete: true, args };
    const flags = createHash('sha256').update(JSON.stringify(args)).digest('hex').slice(0, 8);
    return { runId, key: `${runId}-${flags}`, complete: false, args };
  } catch (e) {
    if (!(e instanceof SprigError)) throw e;
    throw new SprigError(`in the sweep's run \`sprig ${kind} ${args.join(' ')}\`: ${e.message}`);
  }
}

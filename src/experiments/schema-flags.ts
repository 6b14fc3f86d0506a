/**
 * One idiom from hyperparameter schemas to command-line flags, config keys and sweep axes. Each
 * experiment kind is a list of zod groups; every field of every group becomes a flag whose name,
 * type, default, choices and description are read from the schema itself, so a field added to a
 * schema is on the command line, in `--help` and in config files with nothing else to write.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { z } from 'zod';
import { SprigError } from '../util/errors.js';
import { int, list, num } from '../util/parse.js';
import { withModelFileHash } from '../models/layers-model.js';
import { validate } from './hparams.js';
import { loggingSchema, type Logging } from './run-observers.js';
import { underRecipe, type FlagOverrides, type Groups, type Recipe } from './kind.js';
import { kindNamed, type KindName } from './kinds.js';

export type { FlagOverrides, Recipe } from './kind.js';

type Group = z.ZodObject;

/** Parsed flags by commander attribute (`trainSteps`), plus `--config FILE`. */
export interface FlagValues {
  config?: string;
  [flag: string]: unknown;
}

/** How a flag's text becomes the field's value. */
export type FieldType =
  | 'number'
  | 'int'
  | 'boolean'
  | 'string'
  | 'enum'
  | 'point'
  | 'strings'
  | 'numbers'
  | 'ints'
  | 'fractions'
  | 'json';

/** One schema field as a flag, a config key (`group.key`) and a sweep axis. */
export interface FieldFlag {
  group: string;
  key: string;
  /** Long flag name without dashes, e.g. 'train-steps'. */
  flag: string;
  type: FieldType;
  choices?: readonly string[];
  /** The schema's default (undefined: the field is optional). */
  default: unknown;
  description: string;
}

/** Flags whose name is not the kebab-case of their key. */
const FLAG_NAMES: Record<string, string> = { 'dataset.name': 'dataset', 'model.name': 'model' };

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

interface Def {
  type: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  element?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
}
const defOf = (s: z.ZodType) => (s as unknown as { def: Def }).def;

/** Strips default/optional/prefault wrappers: the value's own type, default and description. */
function unwrap(field: z.ZodType): { inner: z.ZodType; default: unknown; description?: string } {
  let inner = field;
  let dflt: unknown;
  let description = field.description;
  for (let d = defOf(inner); d.innerType; d = defOf(inner)) {
    if (d.type === 'default' && dflt === undefined) dflt = d.defaultValue;
    inner = d.innerType;
    description ??= inner.description;
  }
  return { inner, default: dflt, description };
}

function typeOf(inner: z.ZodType, where: string): { type: FieldType; choices?: readonly string[] } {
  const d = defOf(inner);
  const isInt = (s: z.ZodType) => (s as unknown as { isInt?: boolean }).isInt === true;
  switch (d.type) {
    case 'number':
      return { type: isInt(inner) ? 'int' : 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'string':
      return { type: 'string' };
    case 'enum':
      return { type: 'enum', choices: (inner as unknown as { options: string[] }).options };
    case 'union': // a point in training: a fraction or a step
      return { type: 'point' };
    case 'array': {
      const e = unwrap(d.element!).inner;
      const t = defOf(e).type;
      if (t === 'number') return { type: isInt(e) ? 'ints' : 'numbers' };
      const choices = t === 'enum' ? (e as unknown as { options: string[] }).options : undefined;
      return { type: 'strings', choices };
    }
    case 'record':
      return { type: defOf(unwrap(d.valueType!).inner).type === 'number' ? 'fractions' : 'json' };
  }
  throw new Error(`schema-flags: no flag type for ${where} (${d.type}); add one to typeOf`);
}

/**
 * Options of every experiment command that are not hyperparameters: they change what a run logs,
 * never what it trains, so they enter no run id and no config file.
 */
export const RUN_OPTIONS = { logging: loggingSchema } as const satisfies Record<string, Group>;

/** Every field of `kind` as a flag, in schema order; flag names are unique within a kind. */
export function flagsFor(kind: KindName): FieldFlag[] {
  const out = fieldFlags(kindNamed(kind).groups);
  // `sprig dst` has its own --init (the sparse init): there the model's init is --model-init
  const model = out.find((f) => f.group === 'model' && f.key === 'init');
  if (model && out.some((f) => f !== model && f.flag === model.flag)) model.flag = 'model-init';
  const seen = new Set<string>();
  for (const f of [...out, ...fieldFlags(RUN_OPTIONS)]) {
    if (seen.has(f.flag)) throw new Error(`schema-flags: --${f.flag} names two fields of '${kind}'`);
    seen.add(f.flag);
  }
  return out;
}

/** Every field of these groups as a flag, in schema order. */
function fieldFlags(groups: Record<string, Group>): FieldFlag[] {
  const out: FieldFlag[] = [];
  for (const [group, schema] of Object.entries(groups)) {
    for (const [key, field] of Object.entries(schema.shape)) {
      const where = `${group}.${key}`;
      const u = unwrap(field as z.ZodType);
      out.push({
        group,
        key,
        flag: FLAG_NAMES[where] ?? kebab(key),
        ...typeOf(u.inner, where),
        default: u.default,
        description: u.description ?? key,
      });
    }
  }
  return out;
}

/** The groups (zod objects) of a kind: what a sweep axis or config key `group.key` refers to. */
export function schemaFor(kind: KindName): Record<string, Group> {
  return kindNamed(kind).groups;
}

/** The field a camelCase key, `group.key` or flag name refers to, e.g. 'lr', 'training.lr', 'train-steps'. */
export function fieldFor(kind: KindName, name: string): FieldFlag {
  const all = flagsFor(kind);
  const f = all.find((x) => `${x.group}.${x.key}` === name || x.flag === name || x.key === name);
  if (!f)
    throw new SprigError(
      `'${name}' is not a hyperparameter of ${kind}`,
      `use one of ${all.map((x) => x.flag).join(', ')}`,
    );
  return f;
}

/** 'name=x,name2=y' → {name: x, name2: y}. */
export function fractions(v: string): Record<string, number> {
  return Object.fromEntries(
    list(v).map((kv) => {
      const [k, x] = kv.split('=');
      if (!k || x === undefined)
        throw new SprigError(`'${kv}' is not name=value`, "write e.g. 'fc.weight=0.1,fc1.weight=0.2'");
      return [k.trim(), num(x)];
    }),
  );
}

function json(v: string): Record<string, unknown> {
  try {
    const o = JSON.parse(v);
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('not an object');
    return o;
  } catch (e) {
    throw new SprigError(
      `'${v}' is not a JSON object (${(e as Error).message})`,
      'write e.g. \'{"lr": 0.05}\'',
    );
  }
}

/** A point in training: a fraction of training (0.75) or a step ('30ep', '5000it'). */
const point = (v: string) => (/^\s*[\d.]+\s*$/.test(v) ? num(v) : v);

const PARSERS: Record<Exclude<FieldType, 'boolean' | 'string' | 'enum'>, (v: string) => unknown> = {
  number: num,
  int,
  point,
  strings: list,
  numbers: (v) => list(v).map(num),
  ints: (v) => list(v).map(int),
  fractions,
  json,
};

const ARG: Partial<Record<FieldType, string>> = {
  number: 'x',
  int: 'n',
  point: 't',
  strings: 'list',
  numbers: 'list',
  ints: 'list',
  fractions: 'name=x,…',
  json: 'json',
  string: 'value',
  enum: 'name',
};

const shown = (v: unknown) =>
  Array.isArray(v)
    ? v.join(',') || 'none'
    : typeof v === 'object' && v !== null
      ? Object.keys(v).length
        ? JSON.stringify(v)
        : 'none'
      : String(v);

/**
 * An enum flag's check (commander's, plus a pointer): a value that another flag of the command
 * takes names that flag, e.g. `sprig dst --init from-model` points to `--model-init`.
 */
function choiceParser(f: FieldFlag, all: FieldFlag[]): (v: string) => string {
  return (v) => {
    if (f.choices!.includes(v)) return v;
    const other = all.find((g) => g !== f && g.type === 'enum' && g.choices?.includes(v));
    const hint = other ? ` '${v}' is a choice of --${other.flag}: did you mean --${other.flag} ${v}?` : '';
    throw new InvalidArgumentError(`Allowed choices are ${f.choices!.join(', ')}.${hint}`);
  };
}

/** Adds one flag per schema field of `kind`, with the schema's (or the recipe's) defaults in the help. */
export function addSchemaFlags(
  cmd: Command,
  kind: KindName,
  recipe: Recipe = kindNamed(kind).recipe,
  overrides: FlagOverrides = kindNamed(kind).flags ?? {},
): Command {
  const all = [...flagsFor(kind), ...fieldFlags(RUN_OPTIONS)];
  for (const f of all) {
    const where = `${f.group}.${f.key}`;
    const dflt = recipe[f.group]?.[f.key] ?? f.default;
    const open = overrides.openChoices?.includes(where);
    const choices = f.choices && (f.type !== 'enum' || open) ? ` (${f.choices.join(', ')})` : '';
    const text = `${f.description}${choices}${dflt === undefined ? '' : ` (default ${shown(dflt)})`}`;
    if (f.type === 'boolean') {
      // both forms, so an unset flag is undefined and the config file's value stands; help shows the
      // form that changes the default (both when the schema leaves it unset)
      const state = dflt === undefined ? '' : ` (default ${dflt ? 'on' : 'off'})`;
      const on = new Option(`--${f.flag}`, `${f.description}${state}`);
      const off = new Option(`--no-${f.flag}`, `turn off: ${f.description}${state}`);
      cmd.addOption(dflt === true ? on.hideHelp() : on).addOption(dflt === false ? off.hideHelp() : off);
      continue;
    }
    const opt = new Option(`--${f.flag} <${ARG[f.type]}>`, text);
    if (f.type === 'enum' && !open) opt.choices(f.choices!);
    const parse =
      overrides.parsers?.[where] ??
      (f.type === 'enum' && !open ? choiceParser(f, all) : PARSERS[f.type as keyof typeof PARSERS]);
    if (parse) opt.argParser(parse);
    cmd.addOption(opt);
  }
  return cmd;
}

/** The commander attribute of a flag ('train-steps' → 'trainSteps'). */
const attribute = (flag: string) => flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * The hyperparameter groups of `kind`, not yet validated: the recipe, under the config file's
 * groups, under the flags given. Groups of the config file that the kind lacks pass through, so
 * validation names them.
 */
export function hparamsFromFlags(
  kind: KindName,
  o: FlagValues,
  recipe: Recipe = kindNamed(kind).recipe,
): Groups {
  const out = underRecipe(kindNamed(kind), readConfig(o.config), recipe);
  for (const f of flagsFor(kind)) {
    const v = o[attribute(f.flag)];
    if (v !== undefined) out[f.group]![f.key] = v;
  }
  withModelFileHash(out.model);
  return out;
}

/** The run options given as flags (RUN_OPTIONS), validated: what to log, never part of a run id. */
export function loggingFromFlags(o: FlagValues): Logging {
  const given: Record<string, unknown> = {};
  for (const f of fieldFlags(RUN_OPTIONS)) {
    const v = o[attribute(f.flag)];
    if (v !== undefined) given[f.key] = v;
  }
  return validate(loggingSchema, given, 'logging options');
}

/**
 * The run a command's flags name, as the command runs it: the recipe under the config file under
 * the flags, read by the kind (`input`), then validated and identified by the kind.
 */
export function identifyFromFlags(kind: KindName, o: FlagValues) {
  const k = kindNamed(kind);
  const raw = hparamsFromFlags(kind, o);
  return k.identify(k.input ? k.input(raw, o) : raw);
}

function readConfig(path: string | undefined): Groups {
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

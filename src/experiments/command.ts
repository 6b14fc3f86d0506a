/**
 * The `sprig <kind> …` command that recreates a run: its hyperparameters as the flags that differ
 * from the kind's recipe, so a report can print each arm's command and a user who types it gets the
 * same run id.
 */
import { Command } from 'commander';
import { kindNamed, type KindName } from './kinds.js';
import { addSchemaFlags, flagsFor, identifyFromFlags, type FieldFlag } from './schema-flags.js';

/** Filled in by sprig from the model file itself, never typed. */
const DERIVED = new Set(['model.sha256']);

/**
 * `['sprig', kind, '--flag', 'value', …]` for validated hyperparameters (as `identify` returns
 * them): the fields off the kind's recipe, or every field where the kind reads its input in a way
 * that needs them (bootstrap's default models), checked by parsing the command back.
 */
export function commandFor(kind: KindName, hp: Record<string, unknown>): string[] {
  const want = kindNamed(kind).identify(hp).runId;
  for (const every of [false, true]) {
    const args = flagsFor(kind).flatMap((f) => fieldArgs(kind, f, hp, every));
    if (idOf(kind, args) === want) return ['sprig', kind, ...args];
  }
  throw new Error(`commandFor: no command of sprig ${kind} gives ${want}`);
}

/** The command as one shell line, each argument quoted where the shell would split it. */
export function commandText(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function fieldArgs(kind: KindName, f: FieldFlag, hp: Record<string, unknown>, every: boolean): string[] {
  const where = `${f.group}.${f.key}`;
  const v = (hp[f.group] as Record<string, unknown> | undefined)?.[f.key];
  if (v === undefined || DERIVED.has(where)) return [];
  const base = kindNamed(kind).recipe[f.group]?.[f.key] ?? f.default;
  if (!every && JSON.stringify(v) === JSON.stringify(base)) return [];
  if (f.type === 'boolean') return [v ? `--${f.flag}` : `--no-${f.flag}`];
  return [`--${f.flag}`, textOf(f, v)];
}

/** A value as its flag's text, in the grammar schema-flags parses. */
function textOf(f: FieldFlag, v: unknown): string {
  if (f.type === 'json') return JSON.stringify(v);
  if (f.type === 'fractions')
    return Object.entries(v as Record<string, number>)
      .map(([k, x]) => `${k}=${x}`)
      .join(',');
  return Array.isArray(v) ? v.join(',') : String(v);
}

function idOf(kind: KindName, args: string[]): string | undefined {
  const cmd = addSchemaFlags(new Command(kind), kind)
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  try {
    return identifyFromFlags(kind, cmd.parse(args, { from: 'user' }).opts()).runId;
  } catch {
    return undefined;
  }
}

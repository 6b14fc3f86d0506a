/**
 * The `sprig` command line that recreates a run from its hyperparameter groups: every field whose
 * value differs from what the command would use by default (its recipe over the schema), as the
 * flag the schema gives it. Running the line gives the same hyperparameters, hence the same run id.
 */
import { FLAGSHIP_DENSE } from '../experiments/flagship.js';
import { BOOTSTRAP_DEFAULTS, DEFAULT_MODELS } from './bootstrap.js';
import { GRADFLOW_DEFAULTS } from './gradflow.js';
import { flagsFor, type ExperimentKind, type FieldFlag, type Recipe } from './schema-flags.js';

/** Each command's defaults over its schema's (the recipes the commands register with). */
export const COMMAND_RECIPES: Record<ExperimentKind, Recipe> = {
  train: {},
  lottery: {},
  dst: FLAGSHIP_DENSE,
  gradflow: GRADFLOW_DEFAULTS,
  // without --model or --models, `sprig bootstrap` compares the paper's two models
  bootstrap: { ...BOOTSTRAP_DEFAULTS, bootstrap: { models: DEFAULT_MODELS } },
};

/** A shell word: bare when safe, else single-quoted. */
const word = (s: string) => (/^[\w.,:=^/+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function valueText(f: FieldFlag, v: unknown): string {
  if (Array.isArray(v)) return v.join(',');
  if (f.type === 'fractions')
    return Object.entries(v as Record<string, number>)
      .map(([k, x]) => `${k}=${x}`)
      .join(',');
  if (f.type === 'json') return JSON.stringify(v);
  return String(v);
}

/** The flags of one field, or none when the value is the command's default. */
function flagOf(f: FieldFlag, v: unknown, recipe: Recipe): string[] {
  const dflt = recipe[f.group]?.[f.key] ?? f.default;
  if (v === undefined || JSON.stringify(v) === JSON.stringify(dflt)) return [];
  if (f.type === 'boolean') return [v ? `--${f.flag}` : `--no-${f.flag}`];
  if (Array.isArray(v) && v.length === 0) return [];
  return [`--${f.flag}`, word(valueText(f, v))];
}

/** `sprig <kind> --flag value …` for the groups {dataset, model, training, <kind's own>}. */
export function commandFor(kind: ExperimentKind, groups: Record<string, unknown>): string {
  const recipe = COMMAND_RECIPES[kind];
  const flags = flagsFor(kind).flatMap((f) =>
    flagOf(f, (groups[f.group] as Record<string, unknown> | undefined)?.[f.key], recipe),
  );
  return ['sprig', kind, ...flags].join(' ');
}

/**
 * What one experiment kind is (design.md, "experiments"): its schema groups, its paper recipe and
 * recipe version, how hyperparameters become a run id, how it runs, what it reports and how it is
 * drawn. Everything that needs to know about kinds (the CLI, sweeps, reindex, figures, the
 * dashboard, the library API) reads these objects from the one list in kinds.ts.
 */
import type { z } from 'zod';
import type { Dataset } from '../data/types.js';
import type { RunStore } from '../store/store.js';
import type { ArtifactName } from '../store/artifacts.js';
import type { FigureKind } from '../figures/index.js';
import type { RunSpec } from './run.js';
import type { Logging } from './run-observers.js';

/** Hyperparameter groups by name, not yet validated (a config file's shape). */
export type Groups = Record<string, Record<string, unknown>>;

/**
 * A command's own defaults for some fields (its paper's recipe), over the schema's: what its CLI
 * command, its sweeps and `commandFor` start from. Each kind's description says which paper.
 */
export type Recipe = Partial<Record<string, Record<string, unknown>>>;

/** Per-field flag needs: a richer grammar or wider choices than the schema's. */
export interface FlagOverrides {
  /** `group.key` → parser of the flag's text. */
  parsers?: Record<string, (v: string) => unknown>;
  /** `group.key` → the flag takes any string (the kind interprets it), not only the enum's choices. */
  openChoices?: string[];
}

/** What a run needs besides its hyperparameters: where to store it, and how to report progress. */
export interface KindContext extends Logging {
  store: RunStore;
  callbacks?: RunSpec['callbacks'];
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
  /** The loaded dataset, when the caller has it already. */
  dataset?: Dataset;
}

export interface ExperimentKind<H = unknown, R = unknown> {
  /** The command, and the prefix of every run id of the kind. */
  name: string;
  /** One line for `--help`: what it does and whose recipe its defaults are. */
  description: string;
  /** The schema groups, in config-file order. */
  groups: Record<string, z.ZodObject>;
  /** Groups that say how much of the experiment to run, outside the run id (lottery's plan). */
  planGroups?: readonly string[];
  recipe: Recipe;
  /** Bumped on any change of a default or of behaviour; hashed into every run id of the kind. */
  recipeVersion: number;
  flags?: FlagOverrides;
  /**
   * The kind's own reading of what a user gave (`given`: the flags as typed), before validation;
   * e.g. bootstrap's `--source NAME` names a dataset.
   */
  input?: (raw: Groups, given: Record<string, unknown>) => Groups;
  /**
   * Validated, normalised hyperparameters and their run id; pure: no data is loaded. `recipe`
   * (default: recipeVersion) is for tests that bump it.
   */
  identify(raw: unknown, recipe?: number): { hp: H; runId: string };
  run(hp: H, ctx: KindContext): R;
  /** The one-line header the CLI prints before running; it may keep the data it loads in `ctx`. */
  intro?(hp: H, ctx: KindContext): string;
  /** Human-readable result (the CLI's output without --json). */
  summary(r: R): string;
  /** The result as `--json` prints it (default: the result itself). */
  json?(r: R): unknown;
  /** The summary file that marks an experiment parent finished, and holds what its figures draw. */
  report?: ArtifactName;
  figures?: FigureKind['figures'];
  /** The label of its runs in progress output. */
  label(hp: H): string;
}

/** Any kind, as the list holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKind = ExperimentKind<any, any>;

/**
 * The groups a run starts from, as its command builds them: the kind's recipe under what was given,
 * group by group. Groups the kind lacks pass through, so validation names them.
 */
export function underRecipe(kind: AnyKind, given: Groups, recipe: Recipe = kind.recipe): Groups {
  const out: Groups = { ...given };
  for (const group of Object.keys(kind.groups))
    out[group] = { ...(recipe[group] ?? {}), ...(given[group] ?? {}) };
  return out;
}

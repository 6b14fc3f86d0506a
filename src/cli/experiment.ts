/**
 * `sprig <kind>` for every experiment kind in the list: the kind's schema flags, then its run (or
 * its stored result) and its summary. A kind needs no command file of its own.
 */
import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import { engineStatus } from '../engine/index.js';
import type { AnyKind, KindContext } from '../experiments/kinds.js';
import { addSchemaFlags, identifyFromFlags, loggingFromFlags } from '../experiments/schema-flags.js';
import { kindNamed, type KindName } from '../experiments/kinds.js';
import type { Recipe } from '../experiments/kind.js';
import { addOutputFlags, type CommonOptions } from './flags.js';
import { progress } from './progress.js';
import { emit } from './output.js';

/** Output flags, `--config FILE`, every schema flag of `kind` and the run options. */
export function addExperimentFlags(cmd: Command, kind: KindName, recipe?: Recipe): Command {
  addOutputFlags(cmd).option(
    '--config <file>',
    `JSON file with the groups {${Object.keys(kindNamed(kind).groups).join(', ')}}, keys as in the schemas; flags override it`,
  );
  return addSchemaFlags(cmd, kind, recipe);
}

/** The kind's command, with the kind's flags and its description. */
export function kindCommand(program: Command, kind: AnyKind): Command {
  return addExperimentFlags(program.command(kind.name).description(kind.description), kind.name as KindName);
}

export function registerKind(program: Command, kind: AnyKind): void {
  kindCommand(program, kind).action((o: CommonOptions) => runKind(kind, o));
}

/** Identifies the run the flags name, runs it (or reads it back) and prints its summary or JSON. */
export function runKind(kind: AnyKind, o: CommonOptions): void {
  const { hp, runId } = identifyFromFlags(kind.name as KindName, o);
  const say = o.quiet ? undefined : (line: string) => void process.stderr.write(line + '\n');
  const store = new RunStore(o.root);
  const ctx: KindContext = {
    store,
    callbacks: progress({ quiet: o.quiet || o.json }),
    log: say,
    ...loggingFromFlags(o),
  };
  let r: unknown;
  try {
    if (say && !o.json && kind.intro)
      say(`sprig ${kind.name} ${runId}: ${kind.intro(hp, ctx)}; engine ${engineStatus().engine}`);
    r = kind.run(hp, ctx);
  } finally {
    store.close();
  }
  emit(o.json, kind.json ? kind.json(r) : r, () => kind.summary(r));
}

/**
 * Flag plumbing every command shares: output flags and number parsers. The hyperparameter flags
 * and the `--config FILE` reader are derived from the kinds' schemas (experiments/schema-flags.ts).
 */
import type { Command } from 'commander';
import { defaultRoot } from '../store/store.js';

export interface CommonOptions {
  root: string;
  json?: boolean;
  quiet?: boolean;
  config?: string;
  [flag: string]: unknown;
}

export { int, list, num } from '../util/parse.js';

export function addOutputFlags(cmd: Command): Command {
  return cmd
    .option('--root <dir>', 'run store directory (or SPRIG_ROOT)', defaultRoot())
    .option('--json', 'print a machine-readable result on stdout')
    .option('--quiet', 'no progress output');
}

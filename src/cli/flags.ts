/**
 * Flag plumbing every command shares: output flags, number parsers and the `--config FILE` reader.
 * The hyperparameter flags themselves are derived from the schemas (schema-flags.ts).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SprigError } from '../util/errors.js';
import { defaultRoot } from '../store/store.js';

export interface CommonOptions {
  root: string;
  json?: boolean;
  quiet?: boolean;
  config?: string;
  [flag: string]: unknown;
}

export const num = (v: string) => {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x))
    throw new SprigError(`'${v}' is not a number`, 'pass a number, e.g. 0.1');
  return x;
};
export const int = (v: string) => {
  const x = Number(v);
  if (v.trim() === '' || !Number.isInteger(x))
    throw new SprigError(`'${v}' is not an integer`, 'pass a whole number');
  return x;
};
export const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function addOutputFlags(cmd: Command): Command {
  return cmd
    .option('--root <dir>', 'run store directory (or SPRIG_ROOT)', defaultRoot())
    .option('--json', 'print a machine-readable result on stdout')
    .option('--quiet', 'no progress output');
}

export function readConfig(path: string | undefined): Record<string, Record<string, unknown>> {
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

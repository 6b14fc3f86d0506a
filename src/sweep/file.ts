/**
 * The sweep file: an experiment kind, its base hyperparameters, and the axes to vary (a grid, a
 * list of overrides, seeds). YAML or JSON, checked by one zod schema before anything runs.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SprigError } from '../util/errors.js';
import { validate } from '../experiments/hparams.js';
import { checkParam, KIND_NAMES } from './kinds.js';

/** A hyperparameter value as a flag would take it: a scalar, or a list for list-valued flags. */
const value = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]);
const params = z.record(z.string(), value);

export const sweepFileSchema = z
  .object({
    /** Shown in the progress table and recorded in the store; defaults to the file's name. */
    name: z.string().min(1).optional(),
    kind: z.enum(KIND_NAMES),
    base: params.default({}),
    grid: z
      .record(z.string(), z.array(value).min(1, 'an axis needs at least one value'))
      .refine((g) => Object.keys(g).length > 0, 'an empty grid has no axes; leave grid out or add one')
      .optional(),
    overrides: z.array(params).min(1, 'an empty list of overrides runs nothing; leave it out').optional(),
    seeds: z.array(z.number().int().min(0)).min(1, 'list at least one seed, e.g. [0, 1]').optional(),
  })
  .strict();

export type SweepFile = z.infer<typeof sweepFileSchema>;
export type Params = z.infer<typeof params>;

/** Reads and validates a sweep file (YAML, of which JSON is a subset). */
export function loadSweepFile(path: string): SweepFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SprigError(
      `cannot read sweep file ${path} (${(e as NodeJS.ErrnoException).code})`,
      'check the path',
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new SprigError(
      `sweep file ${path} is neither YAML nor JSON (${(e as Error).message.split('\n')[0]})`,
      'write it as {"kind": "dst", "base": {...}, "grid": {...}, "seeds": [0, 1]}',
    );
  }
  return validate(sweepFileSchema, raw, `sweep file ${path}`);
}

/**
 * `--set key=value` on the command line: changes a base value (e.g. a shorter trainSteps on a busy
 * machine). Each key and value is checked now, as the command would check them, and a key the file
 * varies is refused: the grid's, an override's or the seeds' values would silently win over it.
 */
export function withSets(file: SweepFile, sets: string[]): SweepFile {
  const base = { ...file.base };
  const varied = new Map<string, string>([
    ...Object.keys(file.grid ?? {}).map((k): [string, string] => [k, `grid.${k}`]),
    ...(file.overrides ?? []).flatMap((o, i) =>
      Object.keys(o).map((k): [string, string] => [k, `overrides[${i}].${k}`]),
    ),
    ...(file.seeds ? [['seed', 'seeds'] as [string, string]] : []),
  ]);
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new SprigError(`--set '${s}' is not key=value`, 'write e.g. --set trainSteps=1ep');
    const key = s.slice(0, eq);
    const where = varied.get(key);
    if (where)
      throw new SprigError(
        `--set ${key}: the sweep file varies ${key} (${where}), which would override it`,
        `change ${where} in the file; --set changes base values only`,
      );
    const value = parseYaml(s.slice(eq + 1)) as Params[string];
    checkParam(file.kind, key, value, `--set ${key}`);
    base[key] = value;
  }
  return validate(sweepFileSchema, { ...file, base }, 'sweep file with --set');
}

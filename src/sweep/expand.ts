/**
 * A sweep file → its runs: every grid point × every override × every seed, each planned by the
 * kind adapter into argv and a run id. Points that name the same run (a field the method ignores)
 * collapse into one. The sweep id is a hash of its run ids, so the same sweep is the same id.
 */
import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { planRun, type KindName } from './kinds.js';
import type { Params, SweepFile } from './file.js';

export interface SweepRun {
  runId: string;
  /** Unique within the sweep and across submissions: the queue's job id comes from it. */
  key: string;
  /** Whether the run id alone tells that the job is done (not for a lottery's branches). */
  complete: boolean;
  kind: KindName;
  args: string[];
  /** The values that vary across the sweep (grid axes, override keys, seed), for the table. */
  label: string;
  /** The same values by key, for the board's figure of the grid. */
  values: Record<string, string | number | boolean>;
}

export interface Sweep {
  id: string;
  name: string;
  kind: KindName;
  runs: SweepRun[];
  /** Points of the file that named a run already in the list. */
  duplicates: number;
}

interface Point {
  params: Params;
  fields: Record<string, string>;
  varying: string[];
}

function gridPoints(grid: SweepFile['grid']): Point[] {
  let points: Point[] = [{ params: {}, fields: {}, varying: [] }];
  for (const [axis, values] of Object.entries(grid ?? {})) {
    points = points.flatMap((p) =>
      values.map((v, i) => ({
        params: { ...p.params, [axis]: v },
        fields: { ...p.fields, [axis]: `grid.${axis}[${i}]` },
        varying: [...p.varying, axis],
      })),
    );
  }
  return points;
}

const scalar = (v: unknown) =>
  typeof v === 'number' || typeof v === 'boolean' ? v : Array.isArray(v) ? v.join(',') : String(v);

export function expandSweep(file: SweepFile, path: string): Sweep {
  const baseFields = Object.fromEntries(Object.keys(file.base).map((k) => [k, `base.${k}`]));
  let points = gridPoints(file.grid);
  if (file.overrides) {
    const overrides = file.overrides;
    points = points.flatMap((p) =>
      overrides.map((o, i) => ({
        params: { ...p.params, ...o },
        fields: {
          ...p.fields,
          ...Object.fromEntries(Object.keys(o).map((k) => [k, `overrides[${i}].${k}`])),
        },
        varying: [...new Set([...p.varying, ...Object.keys(o)])],
      })),
    );
  }
  if (file.seeds) {
    const seeds = file.seeds;
    points = points.flatMap((p) =>
      seeds.map((seed, i) => ({
        params: { ...p.params, seed },
        fields: { ...p.fields, seed: `seeds[${i}]` },
        varying: [...p.varying, 'seed'],
      })),
    );
  }
  const runs = new Map<string, SweepRun>();
  let duplicates = 0;
  for (const p of points) {
    const params = { ...file.base, ...p.params };
    const planned = planRun(file.kind, params, { ...baseFields, ...p.fields });
    if (runs.has(planned.key)) {
      duplicates++;
      continue;
    }
    const label = p.varying.map((k) => `${k}=${String(params[k])}`).join(' ');
    const values = Object.fromEntries(p.varying.map((k) => [k, scalar(params[k])]));
    runs.set(planned.key, { ...planned, kind: file.kind, label, values });
  }
  const ids = [...runs.keys()];
  const hash = createHash('sha256')
    .update(JSON.stringify([file.kind, ids]))
    .digest('hex')
    .slice(0, 12);
  return {
    id: `sweep_${hash}`,
    name: file.name ?? basename(path, extname(path)),
    kind: file.kind,
    runs: [...runs.values()],
    duplicates,
  };
}

/**
 * The one list of experiment kinds. The CLI, sweeps, figures, the dashboard and the library API
 * read it; a new kind is one file in kinds/ plus one entry here.
 */
import { unknownName } from '../util/errors.js';
import type { AnyKind } from './kind.js';
import { train } from './kinds/train.js';
import { dst } from './kinds/dst.js';
import { lottery } from './kinds/lottery.js';
import { bootstrap } from './kinds/bootstrap.js';
import { gradflow } from './kinds/gradflow.js';
import { prune } from './kinds/prune.js';

export const KINDS = { train, dst, lottery, bootstrap, gradflow, prune } as const;

export type KindName = keyof typeof KINDS;
export const KIND_NAMES = Object.keys(KINDS) as [KindName, ...KindName[]];

/** The kind of this name; an unknown name fails with the list of kinds. */
export function kindNamed(name: string): AnyKind {
  if (!Object.hasOwn(KINDS, name)) throw unknownName('experiment kind', name, KIND_NAMES);
  return KINDS[name as KindName];
}

export type { AnyKind, ExperimentKind, KindContext } from './kind.js';

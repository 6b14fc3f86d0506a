/**
 * Sparse-training methods by name (RigL's baselines table, papers.md §3). Typed: a method missing
 * here fails to compile; an unknown name at run time fails with the list of valid ones.
 */
import type { FlopsMethod } from '../sparsity/index.js';
import type { SparseUpdater } from '../training/loop.js';
import { unknownName } from '../util/errors.js';
import type { UpdaterConfig } from './base.js';
import { staticUpdater } from './static.js';
import { snipUpdater } from './snip.js';
import { setUpdater } from './set.js';
import { riglUpdater } from './rigl.js';
import { snfsUpdater } from './snfs.js';
import { gmpUpdater } from './gmp.js';

export const methodNames = ['dense', 'small_dense', 'static', 'snip', 'set', 'snfs', 'rigl', 'gmp'] as const;
export type MethodName = (typeof methodNames)[number];

export interface MethodDef {
  description: string;
  /** How its training FLOPs are counted (RigL App. H). */
  flops: FlopsMethod;
  /**
   * The masks a run starts from: 'random' at the target densities (static, SET, RigL, SNFS),
   * 'dense' (SNIP chooses its mask at step 0, GMP prunes gradually), or none (dense baselines).
   */
  start: 'random' | 'dense' | 'none';
  /** Whether the mask changes during training (drop-and-grow schedule applies). */
  dynamic: boolean;
  create(cfg: UpdaterConfig): SparseUpdater | undefined;
}

export const METHODS = {
  dense: {
    description: 'the dense network',
    flops: 'dense',
    start: 'none',
    dynamic: false,
    create: () => undefined,
  },
  small_dense: {
    description: 'a smaller dense network with the parameter count of the sparse one',
    flops: 'dense',
    start: 'none',
    dynamic: false,
    create: () => undefined,
  },
  static: {
    description: 'a fixed random mask',
    flops: 'static',
    start: 'random',
    dynamic: false,
    create: staticUpdater,
  },
  snip: {
    description: 'one-shot |θ·∇L| saliency at init (Lee et al.)',
    flops: 'snip',
    start: 'dense',
    dynamic: false,
    create: snipUpdater,
  },
  set: {
    description: 'drop by magnitude, grow at random (Mocanu et al.)',
    flops: 'set',
    start: 'random',
    dynamic: true,
    create: setUpdater,
  },
  snfs: {
    description: 'drop by magnitude, grow by |EMA of dense gradients| (Dettmers & Zettlemoyer)',
    flops: 'snfs',
    start: 'random',
    dynamic: true,
    create: snfsUpdater,
  },
  rigl: {
    description: 'drop by magnitude, grow by |dense gradient| (Evci et al.)',
    flops: 'rigl',
    start: 'random',
    dynamic: true,
    create: riglUpdater,
  },
  gmp: {
    description: 'gradual magnitude pruning (Zhu & Gupta)',
    flops: 'gmp',
    start: 'dense',
    dynamic: false,
    create: gmpUpdater,
  },
} satisfies Record<MethodName, MethodDef>;

export function methodDef(name: string): MethodDef & { name: MethodName } {
  if (!(methodNames as readonly string[]).includes(name))
    throw unknownName('sparse-training method', name, methodNames);
  return { ...(METHODS as Record<MethodName, MethodDef>)[name as MethodName], name: name as MethodName };
}

/**
 * Sparse-training methods by name (RigL's baselines table, papers.md §3). Each method's knowledge
 * lives in its own file (method.ts says what that is); a new method is one file plus one line here.
 * An unknown name at run time fails with the list of valid ones.
 */
import type { z } from 'zod';
import { unknownName } from '../util/errors.js';
import type { MethodDef } from './method.js';
import { dense, smallDense } from './dense.js';
import { staticMethod } from './static.js';
import { snip } from './snip.js';
import { set } from './set.js';
import { snfs } from './snfs.js';
import { rigl } from './rigl.js';
import { gmp } from './gmp.js';
import { magnitudeInit } from './magnitude-init.js';

export const METHODS = {
  dense,
  small_dense: smallDense,
  static: staticMethod,
  snip,
  set,
  snfs,
  rigl,
  gmp,
  magnitude_init: magnitudeInit,
} as const satisfies Record<string, MethodDef>;

export type MethodName = keyof typeof METHODS;
export const methodNames = Object.keys(METHODS) as [MethodName, ...MethodName[]];

export function methodDef(name: string): MethodDef & { name: MethodName } {
  if (!Object.hasOwn(METHODS, name)) throw unknownName('sparse-training method', name, methodNames);
  return { ...METHODS[name as MethodName], name: name as MethodName };
}

type ParamShapes = {
  [K in MethodName]: (typeof METHODS)[K] extends { params: z.ZodObject<infer S> } ? S : object;
}[MethodName];
type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Every method's own settings in one shape (typed): the `dst` group adds them to its shared fields. */
export const methodParamsShape = Object.assign(
  {},
  ...Object.values(METHODS).map((m: MethodDef) => m.params?.shape ?? {}),
) as Intersection<ParamShapes>;

/**
 * The run id each kind gives a run's stored hyperparameters, for the store's identity check
 * (store/identity.ts): an hparams.json edited after the run would hash to another id.
 */
import type { Identify } from '../store/identity.js';
import { KINDS } from './kinds.js';

export const identifyStored: Identify = (kind, hparams) => {
  if (!Object.hasOwn(KINDS, kind)) return undefined; // nested runs are named by their place
  const { recipe, ...hp } = hparams;
  // Stored before recipe versions were recorded: its id was made by an older formula.
  if (typeof recipe !== 'number') return undefined;
  return KINDS[kind as keyof typeof KINDS].identify(hp, recipe).runId;
};

/**
 * `prune(model, data, { schedule })` on a model in memory: 'gmp' is gradual magnitude pruning during
 * training (Zhu & Gupta; `sprig dst --method gmp`), 'imp' is iterative magnitude pruning with
 * rewinding (`sprig lottery`). Each runs its command's kind, recipe and defaults through the path
 * of `sparsify` and `lotteryTicket`, stored and cached the same way.
 */
import { SprigError } from '../util/errors.js';
import { sparsify, type Sparsified, type SparsifyOptions } from './sparsify.js';
import { lotteryTicket, type LotteryTicketOptions, type Ticket } from './lottery-ticket.js';
import type { DataArg, ModelArg } from './inputs.js';

/** Gradual magnitude pruning: `sparsify` with method gmp (its schedule in the dst group: gmp fields). */
export interface GmpPruneOptions extends Omit<SparsifyOptions, 'method'> {
  schedule: 'gmp';
}

/** Iterative magnitude pruning: `lotteryTicket`'s options. */
export interface ImpPruneOptions extends LotteryTicketOptions {
  schedule: 'imp';
}

export const PRUNE_SCHEDULES = ['gmp', 'imp'] as const;

export function pruneModel(model: ModelArg, data: DataArg, o: GmpPruneOptions): Promise<Sparsified>;
export function pruneModel(model: ModelArg, data: DataArg, o: ImpPruneOptions): Promise<Ticket>;
export function pruneModel(
  model: ModelArg,
  data: DataArg,
  o: GmpPruneOptions | ImpPruneOptions,
): Promise<Sparsified | Ticket> {
  const { schedule, ...rest } = o;
  if (schedule === 'gmp') return sparsify(model, data, { ...rest, method: 'gmp' });
  if (schedule === 'imp') return lotteryTicket(model, data, rest as LotteryTicketOptions);
  return Promise.reject(
    new SprigError(
      `prune schedule '${String(schedule)}' is not one of ${PRUNE_SCHEDULES.join(', ')}`,
      "pass schedule: 'gmp' (gradual, during training) or 'imp' (iterative, with rewinding)",
    ),
  );
}

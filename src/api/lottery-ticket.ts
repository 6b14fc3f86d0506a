/**
 * `lotteryTicket(model, data, options)`: iterative magnitude pruning of a tf.LayersModel in memory
 * (or a zoo model) on your own data, as `sprig lottery` runs it (the lottery kind's recipe and
 * defaults, the same run ids, stored and cached). It returns the last level's trained network and
 * its winning ticket, the mask on the weights that level trained from.
 */
import type { z } from 'zod';
import type * as tfl from '@tensorflow/tfjs-layers';
import { KINDS } from '../experiments/kinds.js';
import { underRecipe } from '../experiments/kind.js';
import type { LotteryResult } from '../experiments/lottery.js';
import {
  parseRewind,
  replicateHparams,
  type lotteryPlanSchema,
  type LotteryHparams,
  type pruningSchema,
} from '../experiments/lottery-hparams.js';
import { levelDir, readMasks, replicateDir, rewindPath } from '../experiments/lottery-ticket.js';
import { loadData, setup } from '../experiments/setup.js';
import type { Dataset } from '../data/types.js';
import { artifactPath, loadWeights, type StoredWeights } from '../store/artifacts.js';
import { SprigError } from '../util/errors.js';
import { observing, withStoreOrTemporary } from './run-options.js';
import { inputsOf, watchTraining, type DataArg, type InMemoryOptions, type ModelArg } from './inputs.js';
import { layersModelFrom } from './run-models.js';

export interface LotteryTicketOptions extends InMemoryOptions {
  /** Pruning levels after the dense level 0 (default 2, as `sprig lottery`); density ≈ (1 − p)^levels. */
  levels?: number;
  /** p: the fraction of the remaining weights removed per level (default 0.2; output layer p/2). */
  pruneFraction?: number;
  /** Where each level restarts: 'init' (θ0, default), a step such as '100it' (weight rewinding), or 'lr'. */
  rewind?: string;
  /** Any other field of `sprig lottery`'s pruning group (pruneScope, outputFraction, layerFractions, exclude). */
  pruning?: z.input<typeof pruningSchema>;
  /** Any other field of its plan (replicates, branches, oneShot, …); the models returned are replicate 0's. */
  plan?: z.input<typeof lotteryPlanSchema>;
}

export interface Ticket {
  /** The last level's trained sparse network (pruned weights are zero), with the input model's layers. */
  model: tfl.LayersModel;
  /** The winning ticket, untrained: the last level's mask on the weights it trained from. */
  ticket: tfl.LayersModel;
  /** Fraction of the prunable weights the last level keeps. */
  density: number;
  result: LotteryResult;
  /** True when nothing trained: every level came from the store. */
  cached: boolean;
}

/**
 * Finds a lottery ticket in `model` by IMP on `data`, on `sprig lottery`'s recipe and defaults (its
 * `--help` lists them); `training: {…}` changes any of it. Stored and cached as `sparsify` is.
 */
export async function lotteryTicket(
  model: ModelArg,
  data: DataArg,
  o: LotteryTicketOptions = {},
): Promise<Ticket> {
  return withStoreOrTemporary(o, async (store) => {
    const inputs = await inputsOf(store, model, data, o);
    const pruning = { ...o.pruning, ...defined({ pruneFraction: o.pruneFraction, rewind: o.rewind }) };
    const lottery = { ...o.plan, ...defined({ levels: o.levels }) };
    const groups = { ...inputs.groups, training: { ...o.training }, pruning, lottery };
    const { hp } = KINDS.lottery.identify(underRecipe(KINDS.lottery, groups));
    const dataset = inputs.dataset ?? loadData(hp.dataset, hp.training.seed);
    const watch = watchTraining(o);
    const result = KINDS.lottery.run(hp, { store, dataset, ...observing(o), callbacks: watch.callbacks });
    const last = result.levels.at(-1);
    if (!last)
      throw new SprigError('the lottery experiment has no trained level', 'run it without plan.branchesOnly');
    const rep = { dir: replicateDir(result.runDir, 0) };
    const dir = levelDir(rep, last.level);
    const trained = loadWeights(artifactPath(dir, 'weights'));
    const start = masked(startWeights(hp, dataset, rep, last.level), readMasks(dir)!);
    return {
      model: await layersModelFrom(hp.model, dataset, trained),
      ticket: await layersModelFrom(hp.model, dataset, start),
      density: last.remaining,
      result,
      cached: watch.cached(),
    };
  });
}

/** The weights a level trained from: θ0, θ_k, or under LR rewinding the previous level's trained ones. */
function startWeights(hp: LotteryHparams, ds: Dataset, rep: { dir: string }, level: number): StoredWeights {
  const s = setup(replicateHparams(hp, 0), ds);
  const rewind = parseRewind(hp.pruning.rewind, s.iterations, s.totalSteps);
  if (rewind.kind === 'lr' && level > 0)
    return loadWeights(artifactPath(levelDir(rep, level - 1), 'weights'));
  return loadWeights(rewindPath(rep, rewind.kind === 'step' ? rewind.step : 0));
}

function masked(w: StoredWeights, masks: Map<string, Float32Array>): StoredWeights {
  const weights = new Map(
    [...w.weights].map(([n, a]) => {
      const m = masks.get(n);
      return [n, m ? a.map((v, i) => v * m[i]!) : a];
    }),
  );
  return { ...w, weights };
}

const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** Settings the reproductions share: Fashion-MNIST at CPU scale, or tiny synthetic data under --quick. */
import type { Stat } from '../experiments/lottery.js';
import { measure } from './stats.js';
import type { Measure, ReproContext } from './types.js';

/** The dataset group: Fashion-MNIST, or the 512-example synthetic blobs under --quick. */
export const datasetOf = (ctx: ReproContext) => ({ name: ctx.quick ? 'synthetic' : 'fashion_mnist' });

/** The model under --quick (any MLP runs on the 8×8 synthetic inputs). */
export const QUICK_MODEL = 'mlp_16';

/** A lottery point's per-replicate accuracies as a Measure. */
export const accuracy = (s: Stat): Measure => measure(s.replicates);

/** Seeds 0 … n−1 are the lottery's replicates 0 … n−1 (seed + r). */
export const replicates = (ctx: ReproContext) => ctx.seeds.length;

/**
 * Epochs per IMP training in the full lth and generalized-lth reproductions (one canonical chain
 * serves both). The paper trains LeNet-300-100 for 50,000 iterations of batch 60 (50 epochs) per
 * level; 3 epochs keep lth's 102 trainings of three seeds near 6 minutes on 2 idle cores.
 */
export const IMP_EPOCHS = '3ep';

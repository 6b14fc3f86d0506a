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

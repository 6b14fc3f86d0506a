/** The sparsity layer: masks, distributions, pruning, schedules, sparse init, FLOPs and bases. */
export * from './mask.js';
export * from './distributions.js';
export * from './prune.js';
export * from './schedules.js';
export * from './init.js';
export * from './flops.js';
export * from './bases.js';
export * from './drop-grow.js';

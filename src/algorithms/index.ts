/** Sparse-training methods: one updater interface (base.ts), one small file per method. */
export * from './base.js';
export * from './registry.js';
export * from './method.js';
export { smallDenseWidths } from './dense.js';
export { SetUpdater } from './set.js';
export { RiglUpdater } from './rigl.js';
export { SnfsUpdater } from './snfs.js';
export { SnipUpdater } from './snip.js';
export { GmpUpdater } from './gmp.js';
export { staticUpdater } from './static.js';
export { snipUpdater } from './snip.js';
export { setUpdater } from './set.js';
export { riglUpdater } from './rigl.js';
export { snfsUpdater } from './snfs.js';
export { gmpUpdater } from './gmp.js';

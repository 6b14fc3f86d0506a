import type { Command } from 'commander';
import { engineStatus, poolState, sparseEngineInfo, tf } from '../engine/index.js';
import { MODEL_NAMES } from '../models/registry.js';
import { DATASET_NAMES } from '../data/registry.js';
import { emit } from './output.js';

export function register(program: Command): void {
  program
    .command('info')
    .description('which engine and native kernels are active, and what sprig knows')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }) => {
      const s = engineStatus();
      const pool = poolState().enabled;
      const sparse = sparseEngineInfo();
      const info = {
        bufferPool: pool,
        engine: s.engine,
        reason: s.reason,
        nativeKernels: s.kernels,
        sparseEngine: sparse,
        backend: tf.getBackend(),
        tfjs: tf.version_core,
        models: MODEL_NAMES,
        datasets: DATASET_NAMES,
      };
      emit(o.json, info, () =>
        [
          `engine: ${s.engine}${s.reason ? ` (${s.reason})` : ''}`,
          `native kernels: ${s.kernels.length ? s.kernels.join(', ') : 'none'}`,
          `output buffer pool: ${pool ? 'on' : 'off (SPRIG_POOL=0)'}`,
          `sparse engine: ${sparse.mode} (${sparse.kernels}); a masked dense layer runs sparse at density ≤ ${sparse.breakEvenDensity} ` +
            `with ≥ ${sparse.minWeights} weights; each run's result lists its layers (sparseLayers)`,
          `TensorFlow.js ${tf.version_core} on backend '${tf.getBackend()}'`,
          `models: ${MODEL_NAMES.join(', ')}`,
          `datasets: ${DATASET_NAMES.join(', ')}`,
        ].join('\n'),
      );
    });
}

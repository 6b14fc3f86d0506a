import type { Command } from 'commander';
import { METRICS_EVERY_ENV } from '../experiments/run-observers.js';

/**
 * `--metrics-every N` for every training command: record test metrics every N iterations (0: once
 * per epoch only). Default: about 20 points per run. It changes what is logged, never a run's id.
 */
export function register(program: Command): void {
  program.option(
    '--metrics-every <n>',
    'record test metrics every N iterations (0: per epoch only; default about 20 points per run)',
  );
  program.hook('preAction', () => {
    const v = program.opts<{ metricsEvery?: string }>().metricsEvery;
    if (v !== undefined) process.env[METRICS_EVERY_ENV] = v;
  });
}

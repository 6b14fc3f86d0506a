/**
 * `--sparse-engine auto|on|off` on every command: whether masked dense layers run on the sparse
 * kernels (auto: where their density is at or below the measured break-even). Registered last, so
 * it reaches every command; SPRIG_SPARSE_ENGINE sets the same for child processes and the library.
 */
import type { Command } from 'commander';
import { SPARSE_ENGINE_MODES, setSparseEngine } from '../engine/index.js';

function addTo(cmd: Command): void {
  for (const sub of cmd.commands) {
    if (!sub.options.some((o) => o.long === '--sparse-engine'))
      sub.option(
        '--sparse-engine <mode>',
        `sparse kernels for masked dense layers: ${SPARSE_ENGINE_MODES.join('|')} (default auto, or SPRIG_SPARSE_ENGINE)`,
      );
    addTo(sub);
  }
}

export function register(program: Command): void {
  addTo(program);
  program.hook('preAction', (_program, action) => {
    const mode = (action.opts() as { sparseEngine?: string }).sparseEngine;
    if (mode) {
      setSparseEngine(mode);
      process.env.SPRIG_SPARSE_ENGINE = mode; // workers and child processes follow
    }
  });
}

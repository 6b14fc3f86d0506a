import type { Command } from 'commander';

/** Placeholder: `sprig bench` is being built (see the issue for 'bench'). */
export function register(_program: Command): void {}

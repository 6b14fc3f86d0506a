/** Every experiment kind of the list as a command; dst adds its comparison of methods × seeds. */
import type { Command } from 'commander';
import { KINDS } from '../experiments/kinds.js';
import { registerKind } from './experiment.js';
import { register as dst } from './dst.js';

export function register(program: Command): void {
  for (const kind of Object.values(KINDS)) (kind.name === 'dst' ? dst : registerKind)(program, kind);
}

/**
 * Build step (`npm run build`): writes commands.json beside commands.js, the list that lets
 * `sprig --help` name every command without loading their modules.
 */
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { MANIFEST_URL, registerAll } from './commands.js';

writeFileSync(MANIFEST_URL, JSON.stringify(await registerAll(new Command('sprig')), null, 1) + '\n');

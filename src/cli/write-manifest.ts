/**
 * Build step (`npm run build`): writes commands.json beside commands.js, the list that lets
 * `sprig --help` name every command without loading their modules. Written aside and renamed, so a
 * `sprig` started during a rebuild reads the old list or the new one, never half of one.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MANIFEST_URL, registerAll, sprigProgram } from './commands.js';

const file = fileURLToPath(MANIFEST_URL);
writeFileSync(`${file}.${process.pid}`, JSON.stringify(await registerAll(sprigProgram()), null, 1) + '\n');
renameSync(`${file}.${process.pid}`, file);

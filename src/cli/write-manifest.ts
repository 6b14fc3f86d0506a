/**
 * Build step (`npm run build`): writes commands.json beside commands.js, the list that lets
 * `sprig --help` name every command without loading their modules.
 */
import { writeFileSync } from 'node:fs';
import { MANIFEST_URL, registerAll, sprigProgram } from './commands.js';

writeFileSync(MANIFEST_URL, JSON.stringify(await registerAll(sprigProgram()), null, 1) + '\n');

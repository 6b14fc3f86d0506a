#!/usr/bin/env node
/**
 * The `sprig` command line. Each command lives in its own file and registers itself; commands.ts
 * loads only the one a run names, so `sprig --help` starts without TF.js.
 */
import '../util/v8-tuning.js';
import { SprigError } from '../util/errors.js';
import { registerFor, sprigProgram } from './commands.js';

const program = sprigProgram();
await registerFor(program, process.argv.slice(2));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof SprigError) {
    process.stderr.write(`sprig: error: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}

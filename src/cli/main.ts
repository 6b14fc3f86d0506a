#!/usr/bin/env node
/** The `sprig` command line. Each command lives in its own file and registers itself here. */
import '../util/v8-tuning.js';
import { Command } from 'commander';
import { SprigError } from '../util/errors.js';
import { register as runs } from './runs.js';
import { register as info } from './info.js';
import { register as flagship } from './flagship.js';
import { register as dst } from './dst.js';
import { registerKind } from './experiment.js';
import { KINDS } from '../experiments/kinds.js';
import { register as bench } from './bench.js';
import { register as serve } from './serve.js';
import { register as plot } from './plot.js';
import { register as reproduce } from './reproduce.js';
import { register as sweep } from './sweep.js';
import { register as worker } from './worker.js';
import { register as predict } from './predict.js';
import { register as sparseEngine } from './sparse-engine.js';
import { register as exportCmd } from './export.js';
import { register as verify } from './verify.js';

const program = new Command('sprig')
  .description(
    'sparse neural networks: lottery tickets, dynamic sparse training, and the instruments to study them',
  )
  .version('0.1.0')
  .showHelpAfterError();

flagship(program);
// every experiment kind of the list is a command; dst adds its comparison of methods × seeds
for (const kind of Object.values(KINDS)) (kind.name === 'dst' ? dst : registerKind)(program, kind);
for (const register of [
  runs,
  info,
  bench,
  serve,
  plot,
  reproduce,
  sweep,
  worker,
  predict,
  sparseEngine,
  exportCmd,
  verify,
])
  register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof SprigError) {
    process.stderr.write(`sprig: error: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}

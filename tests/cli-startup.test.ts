/**
 * `sprig --help` starts without TF.js, SQLite, the native addon or the queue's and dashboard's
 * packages (issue 22: start-up), and shows the text that registering every command gives. Runs
 * the built CLI (dist/, from `npm run build`), which is what users start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerAll, sprigProgram } from '../src/cli/commands.js';
import { tempRoot } from './helpers.js';

const REPO = join(import.meta.dirname, '..');
const HEAVY = /@tensorflow|better-sqlite3|fastify|bullmq|ioredis|resvg|sprig_native/;

/** The CommonJS modules (every heavy package is one) that `sprig ...args` loaded, and its stdout. */
function loadedBy(args: string[]): { modules: string[]; stdout: string } {
  const dir = tempRoot('sprig-startup-');
  const preload = join(dir, 'loaded.mjs');
  writeFileSync(
    preload,
    `import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => writeFileSync(${JSON.stringify(join(dir, 'loaded.json'))}, JSON.stringify(Object.keys(cache))));
`,
  );
  const r = spawnSync(process.execPath, ['--import', preload, 'dist/cli/main.js', ...args], {
    cwd: REPO,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return {
    modules: JSON.parse(readFileSync(join(dir, 'loaded.json'), 'utf8')) as string[],
    stdout: r.stdout,
  };
}

test('sprig --help, -V and help load none of the heavy packages', () => {
  for (const args of [['--help'], ['-V'], ['help'], ['-h', 'train']]) {
    const { modules } = loadedBy(args);
    assert.ok(
      modules.some((m) => m.includes('commander')),
      'the preload sees the CommonJS modules',
    );
    assert.deepEqual(
      modules.filter((m) => HEAVY.test(m)),
      [],
      `sprig ${args.join(' ')}`,
    );
  }
});

test('sprig --help lists what registering every command gives (commands.json is current)', async () => {
  const program = sprigProgram();
  await registerAll(program);
  assert.equal(loadedBy(['--help']).stdout, program.helpInformation());
  // a leading -h is the program's: the whole list, not the command after it
  assert.equal(loadedBy(['-h', 'train']).stdout, program.helpInformation());
});

test('sprig <command> --help loads that command and shows its flags', () => {
  const { stdout } = loadedBy(['train', '--help']);
  assert.match(stdout, /Usage: sprig train \[options\]/);
  assert.match(stdout, /--sparse-engine <mode>/);
  assert.match(stdout, /--config <file>/);
});

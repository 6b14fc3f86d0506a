/**
 * The install script's way out (issue 25): where the addon cannot be built, it says why and how to
 * fix it with the command a consumer has (`npm rebuild sprig`, not the checkout's script), never
 * fails the install, and leaves the reason where the engine finds it, since npm hides an install
 * script's output. (tests/api-pack.test.ts builds the addon at install where the tools are there.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tempRoot } from './helpers.js';

const REPO = join(import.meta.dirname, '..');

test('without a compiler the install script exits 0 with the reason and the fix, and the engine repeats them', () => {
  const tmp = tempRoot('sprig-install-');
  const pkg = join(tmp, 'consumer', 'node_modules', 'sprig');
  mkdirSync(join(pkg, 'scripts'), { recursive: true });
  copyFileSync(join(REPO, 'scripts', 'build-native.mjs'), join(pkg, 'scripts', 'build-native.mjs'));
  // a PATH with a shell and nothing else: no g++, make or python3
  const bin = join(tmp, 'bin');
  mkdirSync(bin);
  symlinkSync('/bin/sh', join(bin, 'sh'));
  const env = { ...process.env, PATH: bin, SPRIG_NATIVE: '' };
  const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'build-native.mjs')], {
    env,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, 'the install does not fail');
  assert.match(
    r.stdout,
    /^sprig native engine: not built: missing g\+\+, make, python3[^(]* \(fix: apt-get install -y g\+\+ make python3[^)]*, then npm rebuild sprig\); sprig runs on its pure-JS engine\n$/,
  );
  const status = JSON.parse(readFileSync(join(pkg, 'native', 'build', 'status.json'), 'utf8'));
  assert.equal(status.built, false);
  // the engine, started without the addon, says the same once
  const addon = join(pkg, 'native', 'build', 'Release', 'sprig_native.node');
  const e = spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', "import('./src/engine/index.ts').then((m) => m.engineStatus())"],
    { cwd: REPO, env: { ...process.env, SPRIG_NATIVE_PATH: addon }, encoding: 'utf8' },
  );
  assert.match(
    e.stderr,
    /sprig: running on the pure-JS engine: native addon not built at install: missing g\+\+, make, python3[^(]* \(fix: apt-get install -y .*then npm rebuild sprig\)/,
  );
});

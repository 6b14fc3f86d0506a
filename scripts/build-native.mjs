#!/usr/bin/env node
// Builds sprig's native addon (native/, C++17 + node-addon-api, linked against oneDNN and OpenBLAS)
// offline with npm's bundled node-gyp. It is the package's install script, and it never fails the
// install: when it cannot build, it says why and how to fix it, exits 0, and sprig runs on its
// pure-JS engine. npm hides an install script's output, so the outcome is also written to
// native/build/status.json, which sprig's engine reads when it starts without the addon.
//   Needs: apt-get install -y g++ make python3 libdnnl-dev libopenblas-dev
//   SPRIG_NATIVE=0 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const statusFile = join(nativeDir, 'build', 'status.json');
// a consumer's copy lives in node_modules and has no `npm run build:native`; a checkout has
const again = root.split(sep).includes('node_modules') ? 'npm rebuild sprig' : 'npm run build:native';
const say = (msg) => console.log(`sprig native engine: ${msg}`);

function record(status) {
  try {
    mkdirSync(dirname(statusFile), { recursive: true });
    writeFileSync(statusFile, `${JSON.stringify({ ...status, at: new Date().toISOString() })}\n`);
  } catch {
    // an unwritable package directory: the message above is all there is
  }
}

/** Not built: one line with the reason and the fix (`fix`, then the command again), recorded for the engine; exit 0. */
function skip(why, fix, fixText = fix && `${fix}, then ${again}`) {
  say(`not built: ${why}${fixText ? ` (fix: ${fixText})` : ''}; sprig runs on its pure-JS engine`);
  record({ built: false, reason: why, ...(fixText && { fix: fixText }) });
  process.exit(0);
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function checkTools() {
  if (process.env.SPRIG_NATIVE === '0') skip('SPRIG_NATIVE=0');
  if (process.platform !== 'linux' || process.arch !== 'x64')
    skip(`${process.platform}/${process.arch} is not supported (Linux x86-64 only)`);
  const tools = [
    ['g++', 'g++'],
    ['make', 'make'],
    ['python3', 'python3'],
  ].filter(([cmd]) => !has(cmd));
  const headers = [
    ['/usr/include/oneapi/dnnl/dnnl.hpp', 'libdnnl-dev'],
    ['/usr/include/x86_64-linux-gnu/cblas.h', 'libopenblas-dev'],
  ].filter(([p]) => !existsSync(p));
  const missing = [...tools, ...headers].map(([, pkg]) => pkg);
  if (missing.length) skip(`missing ${missing.join(', ')}`, `apt-get install -y ${missing.join(' ')}`);
}

function nodeGyp(nodeDir) {
  if (!existsSync(join(nodeDir, 'include', 'node', 'node_api.h')))
    skip(`no Node headers in ${nodeDir}/include/node`, "set SPRIG_NODEDIR to Node's install prefix");
  try {
    createRequire(join(root, 'package.json')).resolve('node-addon-api');
  } catch {
    skip('node-addon-api is not installed', 'npm install');
  }
  // npm's bundled node-gyp: next to the running npm, or in the global npm install.
  const npmGyp = ['node_modules', 'node-gyp', 'bin', 'node-gyp.js'];
  const candidates = [
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', ...npmGyp),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', ...npmGyp),
    join('/usr/lib/node_modules/npm', ...npmGyp),
    join('/usr/local/lib/node_modules/npm', ...npmGyp),
    '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
  ].filter(Boolean);
  return (
    candidates.find((p) => existsSync(p)) ?? skip('node-gyp not found', 'install npm (it ships node-gyp)')
  );
}

function build() {
  checkTools();
  const nodeDir = process.env.SPRIG_NODEDIR ?? '/usr';
  const gyp = nodeGyp(nodeDir);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodeDir}`, '--jobs=max'], {
    cwd: nativeDir,
    encoding: 'utf8',
    env: { ...process.env, npm_config_nodedir: nodeDir },
  });
  if (r.status !== 0) {
    const lines = `${r.stdout}\n${r.stderr}`.split('\n');
    const err =
      lines.find((l) => /error:|fatal error|cannot find -l|undefined reference/.test(l)) ??
      lines.filter(Boolean).at(-1) ??
      'unknown error';
    skip(
      `the build failed: ${err.trim()}`,
      undefined,
      `see the compiler's whole output with ${again}${again.startsWith('npm rebuild') ? ' --foreground-scripts' : ''}`,
    );
  }
  const out = join(nativeDir, 'build', 'Release', 'sprig_native.node');
  if (!existsSync(out)) skip('the build produced no addon', undefined, 'report it');
  // Load it once here, so a broken link (e.g. a missing shared library) shows now, not at first use.
  const chk = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(out)})`], { encoding: 'utf8' });
  if (chk.status !== 0)
    skip(
      `the addon does not load: ${(chk.stderr.split('\n').find((l) => /Error/.test(l)) ?? chk.stderr).trim()}`,
      'apt-get install -y libdnnl-dev libopenblas-dev',
    );
  record({ built: true });
  say(`built ${out.slice(root.length + 1)} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

try {
  build();
} catch (e) {
  skip(`unexpected error: ${e instanceof Error ? e.message : String(e)}`, undefined, 'report it');
}

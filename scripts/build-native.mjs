#!/usr/bin/env node
// Builds sprig's native addon (native/, C++17 + node-addon-api, linked against oneDNN and OpenBLAS)
// offline with npm's bundled node-gyp. It never fails the install: when it cannot build, it prints
// one line saying why and exits 0, and sprig runs on its pure-JS engine.
//   Needs: apt-get install -y g++ make python3 libdnnl-dev libopenblas-dev
//   SPRIG_NATIVE=0 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const say = (msg) => console.log(`sprig native engine: ${msg}`);
const skip = (why) => {
  say(`not built: ${why} (sprig will run on its pure-JS engine)`);
  process.exit(0);
};

if (process.env.SPRIG_NATIVE === '0') skip('SPRIG_NATIVE=0');
if (process.platform !== 'linux' || process.arch !== 'x64')
  skip(`${process.platform}/${process.arch} is not supported (Linux x86-64 only)`);

const headers = [
  ['/usr/include/oneapi/dnnl/dnnl.hpp', 'libdnnl-dev'],
  ['/usr/include/x86_64-linux-gnu/cblas.h', 'libopenblas-dev'],
];
const missing = headers.filter(([p]) => !existsSync(p)).map(([, pkg]) => pkg);
if (missing.length) skip(`missing ${missing.join(' and ')} (apt-get install -y ${missing.join(' ')})`);
const nodeDir = process.env.SPRIG_NODEDIR ?? '/usr';
if (!existsSync(join(nodeDir, 'include', 'node', 'node_api.h')))
  skip(`no Node headers in ${nodeDir}/include/node (set SPRIG_NODEDIR to Node's install prefix)`);

let addonApi;
try {
  addonApi = createRequire(join(root, 'package.json')).resolve('node-addon-api');
} catch {
  skip('node-addon-api is not installed (npm install)');
}
void addonApi;

// npm's bundled node-gyp: next to the running npm, or in the global npm install.
const candidates = [
  process.env.npm_execpath &&
    join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  join(
    dirname(process.execPath),
    '..',
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  ),
  '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
].filter(Boolean);
const gyp = candidates.find((p) => existsSync(p));
if (!gyp) skip('node-gyp not found (it ships with npm)');

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
  skip(`the build failed: ${err.trim()}`);
}
const out = join(nativeDir, 'build', 'Release', 'sprig_native.node');
if (!existsSync(out)) skip('the build produced no addon');
// Load it once here, so a broken link (e.g. a missing shared library) shows now, not at first use.
const chk = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(out)})`], { encoding: 'utf8' });
if (chk.status !== 0)
  skip(
    `the addon does not load: ${(chk.stderr.split('\n').find((l) => /Error/.test(l)) ?? chk.stderr).trim()}`,
  );
say(`built ${out.slice(root.length + 1)} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

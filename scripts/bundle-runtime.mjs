#!/usr/bin/env node
// Bundles sprig's standalone sparse runtime (src/loader/runtime/index.ts, kernels embedded) as two
// single files a page can use without a bundler: dist/loader/sprig-runtime.esm.js
// (<script type="module">) and dist/loader/sprig-runtime.umd.js (<script>: the global `sprig`;
// also AMD and CommonJS). They import nothing: the TF.js option takes the page's own `tf`.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

const root = join(import.meta.dirname, '..');
const entry = join(root, 'src/loader/runtime/index.ts');
const out = (f) => join(root, 'dist/loader', f);
const common = {
  entryPoints: [entry],
  bundle: true,
  minify: true,
  platform: 'browser', // a Node-only import fails the build
  target: 'es2020',
  logLevel: 'warning',
};

const UMD_HEAD =
  '(function(root,factory){if(typeof define==="function"&&define.amd)define([],factory);' +
  'else if(typeof module==="object"&&module.exports)module.exports=factory();' +
  'else root.sprig=factory();})(typeof self!=="undefined"?self:this,function(){';

await build({ ...common, format: 'esm', outfile: out('sprig-runtime.esm.js') });
await build({
  ...common,
  format: 'iife',
  globalName: '__sprig',
  banner: { js: UMD_HEAD },
  footer: { js: 'return __sprig;});' },
  outfile: out('sprig-runtime.umd.js'),
});
for (const f of ['sprig-runtime.esm.js', 'sprig-runtime.umd.js']) {
  const p = out(f);
  const gz = gzipSync(readFileSync(p), { level: 9 }).length;
  console.error(`bundle-runtime: ${f} ${statSync(p).size} bytes, ${gz} gzipped`);
}

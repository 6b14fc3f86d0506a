/**
 * The package as a user gets it: `npm pack` (which builds), the tarball unpacked into a fresh
 * project's node_modules (its dependencies linked from this checkout's, so no network is needed;
 * none of sprig's devDependencies' types), its install script run by npm (it builds the native
 * addon there, from the shipped sources), consumer files type-checked against the published .d.ts
 * with skipLibCheck off, then run: `import … from 'sprig'` trains a tiny sparse run, exports it, and
 * `sprig/loader` loads the export; and the README's ten-line example runs twice, on the native
 * engine, the second time from the cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { tempRoot } from './helpers.js';

const REPO = join(import.meta.dirname, '..');
const ADDON = join('native', 'build', 'Release', 'sprig_native.node');

/** The README's example of sparsify on your own model and data: its first ts block after the marker. */
function readmeExample(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const at = readme.indexOf('**Your own TF.js model and data**');
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(at >= 0 && block, 'the README has the example');
  return block[1]!;
}

const CONSUMER = `
import { dst, exportRun, createModel, parameterCount, layerDensities, RiglUpdater, SprigError, prune, lotteryTicket, type DstHparamsInput, type Model, type Ticket, type Sparsified, type TfDataset, type PruneResult } from 'sprig';
import { loadSparseModel, type SparseManifest } from 'sprig/loader';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';

const hp: DstHparamsInput = {
  dataset: { name: 'synthetic' },
  model: { name: 'mlp_16' },
  training: { trainSteps: '6it', batchSize: 64 },
  dst: { method: 'rigl', sparsity: 0.8 },
};
const model: Model = createModel('mlp_16', [8, 8, 1], 4);
const densities: Map<string, number> = layerDensities(model.specs, { distribution: 'erk', sparsity: 0.8 });
const r = dst(hp, { root: process.argv[2]! });
const e = await exportRun(r.runDir, { format: 'sparse', values: 'int8', out: process.argv[2]! + '/m.sprig' });
const lm = await loadSparseModel(new Uint8Array(readFileSync(e.files[0]!.path)));
const logits = lm.predict(tf.zeros([2, 8, 8, 1])) as tf.Tensor;
const manifest: SparseManifest | undefined = undefined;
// the in-memory API's types as published (prune's overloads), not run here
type M = Parameters<typeof lotteryTicket>[0];
const typed = async (m: M, d: TfDataset): Promise<[Ticket, Sparsified, Ticket, PruneResult]> => [
  await prune(m, d, { schedule: 'imp', levels: 1 }),
  await prune(m, d, { schedule: 'gmp', sparsity: 0.5 }),
  await lotteryTicket(m, 'synthetic', { rewind: 'init' }),
  prune({ prune: { from: 'dst_x' } }),
];
void typed;
console.log(JSON.stringify({
  params: parameterCount(model), densities: [...densities.values()], updater: typeof RiglUpdater,
  error: new SprigError('x', 'y') instanceof Error, accuracy: r.testAccuracy, exported: e.exportTestAccuracy,
  logits: logits.shape, manifest: manifest ?? null,
}));
`;

test(
  'npm pack → install (the addon built by its install script) → import { … } from "sprig" type-checks and runs',
  { timeout: 1_800_000 },
  () => {
    const tmp = tempRoot('sprig-pack-');
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], {
        cwd: REPO,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as { filename: string; files: { path: string }[] }[];
    const paths = packed[0]!.files.map((f) => f.path);
    for (const p of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/loader/index.js',
      'dist/cli/main.js',
      'package.json',
    ])
      assert.ok(paths.includes(p), `${p} is in the package`);
    assert.ok(!paths.some((p) => p.startsWith('src/') || p.startsWith('tests/')), 'no sources or tests');

    const proj = join(tmp, 'consumer');
    const nm = join(proj, 'node_modules');
    mkdirSync(join(nm, 'sprig'), { recursive: true });
    linkDependencies(nm);
    execFileSync('tar', [
      '-xzf',
      join(tmp, packed[0]!.filename),
      '-C',
      join(nm, 'sprig'),
      '--strip-components=1',
    ]);
    writeFileSync(
      join(proj, 'package.json'),
      JSON.stringify({ name: 'consumer', type: 'module', private: true }),
    );
    buildsAtInstall(proj, paths);
    writeFileSync(join(proj, 'consumer.ts'), CONSUMER);
    const printEngine = "\nconsole.log((await import('sprig')).engineStatus().engine);\n";
    writeFileSync(join(proj, 'readme.ts'), readmeExample() + printEngine);
    writeFileSync(
      join(proj, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          skipLibCheck: true,
          types: ['node'],
          outDir: 'out',
        },
        files: ['consumer.ts', 'readme.ts'],
      }),
    );
    const tsc = join(nm, 'typescript', 'bin', 'tsc');
    try {
      execFileSync(process.execPath, [tsc, '-p', proj], { cwd: proj, encoding: 'utf8' });
    } catch (e) {
      assert.fail(
        `the consumer does not type-check against the published .d.ts:\n${(e as { stdout: string }).stdout}`,
      );
    }

    assert.deepEqual(ownTypeErrors(tsc, proj), [], "sprig's .d.ts type-check without its devDependencies");

    const out = execFileSync(process.execPath, [join(proj, 'out', 'consumer.js'), join(tmp, 'runs')], {
      cwd: proj,
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    assert.equal(r.params, 8 * 8 * 16 + 16 + 16 * 4 + 4);
    assert.equal(r.densities.length, 2);
    assert.equal(r.updater, 'function');
    assert.equal(r.error, true);
    assert.ok(Math.abs(r.exported - r.accuracy) <= 0.05, `export ${r.exported} vs run ${r.accuracy}`);
    assert.deepEqual(r.logits, [2, 4]);

    // the README example, as a script run twice in the project: trained once, then read back
    const runs = [1, 2].map(() =>
      execFileSync(process.execPath, [join(proj, 'out', 'readme.js')], { cwd: proj, encoding: 'utf8' })
        .trim()
        .split('\n')
        .slice(-2),
    );
    const [[first, engine], [second]] = runs as [string[], string[]];
    const [id1, cached1, acc] = first!.split(' ');
    const [id2, cached2] = second!.split(' ');
    assert.equal(engine, 'native', `the example runs on the native engine (got ${engine})`);
    assert.equal(cached1, 'false');
    assert.ok(Number(acc) > 0.5, `the example learns its task (accuracy ${acc})`);
    assert.equal(id2, id1);
    assert.equal(cached2, 'true', 'the second run of the script is a cache hit');
    assert.ok(existsSync(join(proj, 'model.sprig')));
  },
);

/**
 * The package builds its addon in its install script: the tarball holds none, and npm's own
 * lifecycle run (`npm rebuild sprig` runs the install script, as `npm install` does) builds it in
 * the consumer's node_modules, from the shipped sources, and records it.
 */
function buildsAtInstall(proj: string, packed: string[]): void {
  assert.ok(!packed.some((p) => p.startsWith('native/build')), 'the tarball carries no built addon');
  const sprig = join(proj, 'node_modules', 'sprig');
  const scripts = JSON.parse(readFileSync(join(sprig, 'package.json'), 'utf8')).scripts;
  assert.equal(scripts.install, 'node scripts/build-native.mjs');
  assert.ok(!existsSync(join(sprig, ADDON)));
  // the build dominates this test: `npm run build:native` took 17 min here at load 30-40
  const started = Date.now();
  const out = execFileSync('npm', ['rebuild', 'sprig', '--foreground-scripts', '--offline'], {
    cwd: proj,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  assert.match(out, /sprig native engine: built native\/build\/Release\/sprig_native\.node/);
  assert.ok(statSync(join(sprig, ADDON)).mtimeMs >= started - 1000, 'the addon is the one just built');
  assert.equal(JSON.parse(readFileSync(join(sprig, 'native', 'build', 'status.json'), 'utf8')).built, true);
}

/**
 * The errors of a type-check with skipLibCheck off that are sprig's: in its .d.ts, or about the
 * types of its devDependencies. (TF.js's own .d.ts have errors under strict, which are not sprig's.)
 */
function ownTypeErrors(tsc: string, proj: string): string[] {
  try {
    execFileSync(process.execPath, [tsc, '-p', proj, '--noEmit', '--skipLibCheck', 'false'], {
      encoding: 'utf8',
    });
    return [];
  } catch (e) {
    const lines = (e as { stdout: string }).stdout.split('\n');
    return lines.filter((l) => /node_modules\/sprig\/|better-sqlite3|^consumer|^readme/.test(l));
  }
}

/** This checkout's node_modules in the project, less the types of sprig's devDependencies (but Node's). */
function linkDependencies(nm: string): void {
  const dev = Object.keys(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).devDependencies);
  const skip = new Set(dev.filter((d) => d.startsWith('@types/') && d !== '@types/node'));
  for (const d of readdirSync(join(REPO, 'node_modules'))) {
    if (d === 'sprig') continue;
    if (d !== '@types') {
      symlinkSync(join(REPO, 'node_modules', d), join(nm, d));
      continue;
    }
    mkdirSync(join(nm, d));
    for (const t of readdirSync(join(REPO, 'node_modules', d)))
      if (!skip.has(`@types/${t}`)) symlinkSync(join(REPO, 'node_modules', d, t), join(nm, d, t));
  }
}

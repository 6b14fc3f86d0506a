#!/usr/bin/env node
// `npm run figures:docs`: regenerates the docs' figures, one PNG of every figure kind
// (src/figures/catalog.ts) under docs/img/, and the gallery page docs/figures.md. It trains small
// runs of every experiment kind into a temporary store with the real CLI (dist/, so build first),
// then draws each figure with `sprig plot`. The runs are short: they show the figures, not the
// papers' numbers. Usage: node scripts/figures-docs.mjs [--out-dir docs/img] [--keep | --root DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** What every run shares: Fashion-MNIST (Debian's package), 300 iterations of 32 examples. */
export const COMMON = [
  '--dataset',
  'fashion_mnist',
  '--batch-size',
  '32',
  '--train-steps',
  '300it',
  // Each record evaluates the whole 10,000-image test set: ten records, not twenty.
  '--metrics-every',
  '30',
  '--quiet',
];
const LENET = ['--model', 'mnist_lenet_300_100'];
// The other kinds train a 64-unit MLP: a fifth of LeNet-300-100's weights, so the whole gallery stays
// a few CPU minutes.
const MLP = ['--model', 'mlp_64'];

/** The runs, by name: each a `sprig` command (COMMON and --root added). */
export const RUNS = {
  // Two sparsities, dense as the reference; ΔT = 50 gives five mask updates in 300 iterations.
  dst90: [
    'dst',
    ...LENET,
    '--methods',
    'dense,static,set,rigl',
    '--sparsity',
    '0.9',
    '--seeds',
    '0,1',
    '--delta-t',
    '50',
  ],
  dst80: [
    'dst',
    ...LENET,
    '--methods',
    'static,rigl',
    '--sparsity',
    '0.8',
    '--seeds',
    '0,1',
    '--delta-t',
    '50',
  ],
  lottery: [
    'lottery',
    ...MLP,
    '--levels',
    '3',
    '--prune-fraction',
    '0.5',
    '--replicates',
    '2',
    '--branches',
    'reinit',
  ],
  // n = 512 Real World samples: 300 steps of 32 reuse each about 19 times, so the worlds part.
  bootstrap: ['bootstrap', '--models', 'mlp_64,mlp_16', '--n', '512', '--log-every', '20it'],
  gradflow: [
    'gradflow',
    ...MLP,
    '--sparsity',
    '0.9',
    '--log-every',
    '20it',
    '--grad-batch',
    '500',
    '--delta-t',
    '25',
    '--gmp-frequency',
    '25',
    '--interpolation-points',
    '11',
  ],
  mlp64: ['train', ...MLP],
  mlp16: ['train', '--model', 'mlp_16'],
};

/**
 * The README's example sweep (6 LeNet-300-100 runs of 400 iterations; the file sets its own recipe),
 * in a store of its own so that `--kind dst` figures do not draw its runs.
 */
export const SWEEP = { name: 'dst-example', args: ['sweep', 'sweeps/dst-example.yaml'] };
const sweepRoot = (root) => join(root, 'sweep');

/**
 * One PNG per figure kind: which runs `sprig plot` draws (names in RUNS, or every run of a kind:
 * `--kind dst`), the figure it picks (`--figure`, a part of the id), or the metrics for `--metric`.
 */
export const GALLERY = [
  { kind: 'dst:accuracy-vs-sparsity', ofKind: 'dst', figure: 'dst:accuracy-vs-sparsity' },
  { kind: 'dst:accuracy-vs-training-flops', ofKind: 'dst', figure: 'dst:accuracy-vs-training-flops' },
  { kind: 'dst:accuracy-vs-inference-flops', ofKind: 'dst', figure: 'dst:accuracy-vs-inference-flops' },
  { kind: 'dst:layer-densities', ofKind: 'dst', figure: 'dst:layer-densities' },
  { kind: 'dst:mask-churn', ofKind: 'dst', figure: 'dst:mask-churn' },
  { kind: 'dst:accuracy-over-training', ofKind: 'dst', figure: 'dst:accuracy-over-training' },
  { kind: 'lottery:accuracy-vs-remaining', runs: ['lottery'], figure: 'lottery:accuracy-vs-remaining' },
  { kind: 'lottery:early-stop', runs: ['lottery'], figure: 'lottery:early-stop' },
  { kind: 'bootstrap:worlds', runs: ['bootstrap'], figure: ':mlp_64' },
  { kind: 'bootstrap:ranking', runs: ['bootstrap'], figure: ':ranking' },
  { kind: 'gradflow:grad-norm', runs: ['gradflow'], figure: ':grad-norm' },
  { kind: 'gradflow:interpolation', runs: ['gradflow'], figure: ':interpolation' },
  { kind: 'gradflow:disagreement', runs: ['gradflow'], figure: ':disagreement' },
  { kind: 'gradflow:distances', runs: ['gradflow'], figure: ':distances' },
  { kind: 'runs:accuracy-over-training', runs: ['mlp64', 'mlp16'], figure: 'runs:accuracy-over-training' },
  { kind: 'metrics', runs: ['mlp64'], figure: 'metrics:Loss' },
  { kind: 'metric', runs: ['mlp64'], metric: 'testAccuracy,trainLoss' },
  { kind: 'file', runs: ['gradflow:rigl'], figure: 'gradnorm.json::layers' },
  { kind: 'sweep:grid', sweep: SWEEP.name, figure: 'sweep:' },
];

/** docs/img/<kind>.png, the kind's colons as dashes. */
export const fileOf = (kind) => `${kind.replace(/:/g, '-')}.png`;

function sprig(args) {
  const r = spawnSync(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`sprig ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Trains every run; returns the run id of each name (and `gradflow:<run>` for its nested runs). */
function train(root) {
  const ids = {};
  for (const [name, args] of Object.entries(RUNS)) {
    const t = Date.now();
    const r = sprig([...args, ...COMMON, '--root', root, '--json']);
    if (r.runId) ids[name] = r.runId;
    for (const x of name === 'gradflow' ? r.runs : []) ids[`gradflow:${x.run}`] = x.runId;
    console.log(`trained ${name} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
  }
  sprig([...SWEEP.args, '--root', sweepRoot(root), '--json']);
  console.log(`ran the sweep ${SWEEP.name}`);
  return ids;
}

/** Draws one PNG per gallery entry, checking that `sprig plot` drew a figure of the entry's kind. */
function draw(root, ids, outDir, figureKindOf) {
  for (const g of GALLERY) {
    const out = join(outDir, fileOf(g.kind));
    const r = sprig([
      ...plotArgs(g, out, (name) => ids[name]),
      '--root',
      g.sweep ? sweepRoot(root) : root,
      '--json',
    ]);
    const id = r.figures[0].id;
    if (figureKindOf(id) !== g.kind) throw new Error(`${out}: drew ${id}, not a ${g.kind} figure`);
    console.log(`wrote ${relative(REPO, out)}: ${id}`);
  }
}

/** The `sprig plot` arguments of one gallery entry, with run ids written as <name run>. */
const plotArgs = (g, out, ids = (r) => `<${r} run>`) => [
  'plot',
  ...(g.sweep ? ['--sweep', g.sweep] : g.ofKind ? ['--kind', g.ofKind] : g.runs.map(ids)),
  ...(g.metric ? ['--metric', g.metric] : ['--figure', g.figure]),
  '--out',
  out,
];

/** docs/figures.md: every PNG with what it shows (the catalog's words) and the commands that made it. */
function gallery(outDir, kinds) {
  const cmd = (args) => `npx sprig ${[...args, ...COMMON].join(' ')}`;
  const lines = [
    '# Figure gallery',
    '',
    'One figure of every kind the dashboard and `sprig plot` draw, all made by one command,',
    '`npm run figures:docs` ([scripts/figures-docs.mjs](../scripts/figures-docs.mjs)). It trains these',
    'runs into a temporary store on Fashion-MNIST, 300 iterations of 32 examples each (DST on',
    'LeNet-300-100, the other kinds on 64- and 16-unit MLPs): short runs that show the figures, not the',
    "papers' numbers. Then it draws each figure with `sprig plot`, as given under it.",
    '',
    '```bash',
    ...Object.values(RUNS).map(cmd),
    `npx sprig ${SWEEP.args.join(' ')}`,
    '```',
    '',
  ];
  for (const g of GALLERY) {
    const file = fileOf(g.kind);
    const img = relative(join(REPO, 'docs'), join(outDir, file));
    lines.push(`## ${g.kind}`, '', kinds[g.kind].about, '', `![${g.kind}](${img})`, '');
    lines.push('```bash', `npx sprig ${plotArgs(g, `docs/img/${file}`).join(' ')}`, '```', '');
  }
  writeFileSync(join(REPO, 'docs', 'figures.md'), lines.join('\n'));
}

async function main() {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out-dir');
  const outDir = resolve(at >= 0 ? args[at + 1] : join(REPO, 'docs', 'img'));
  if (!existsSync(join(REPO, 'dist', 'cli', 'main.js'))) throw new Error('build first: npm run build');
  const { FIGURE_KINDS, figureKindOf } = await import(
    pathToFileURL(join(REPO, 'dist', 'figures', 'catalog.js')).href
  );
  const missing = Object.keys(FIGURE_KINDS).filter((k) => !GALLERY.some((g) => g.kind === k));
  if (missing.length) throw new Error(`the gallery lacks figure kinds: ${missing.join(', ')}`);
  // --root DIR: train into (and keep) that store; runs already there are not trained again.
  const given = args.indexOf('--root');
  const root = given >= 0 ? resolve(args[given + 1]) : mkdtempSync(join(tmpdir(), 'sprig-figures-docs-'));
  mkdirSync(outDir, { recursive: true });
  try {
    draw(root, train(root), outDir, figureKindOf);
    gallery(outDir, FIGURE_KINDS);
  } finally {
    if (args.includes('--keep') || given >= 0) console.log(`runs kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();

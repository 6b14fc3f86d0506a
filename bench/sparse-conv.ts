/**
 * Per-layer speed of the sparse convolution kernels (native/src/sparse_conv.cc) against the dense
 * oneDNN convolution, on every conv layer of Conv-4 (batch 60), ResNet-20 and VGG-16 (batch 128):
 * `npx tsx bench/sparse-conv.ts [--nets conv4,resnet20,vgg16] [--densities 1,0.5,0.3,0.2,0.1,0.05]
 * [--erk 0.9,0.9,0.95] [--reps 5] [--pass train|fwd|dx|dw]`. A training step's passes (forward,
 * input gradient, weight gradient; the first layer has no input gradient) are timed per layer shape,
 * dense and sparse at each density and at the layer's ERK density (RigL's distribution at the net's
 * --erk sparsity), interleaved over the repetitions; medians. Prints ms, the speed-up, the density
 * below which the sparse layer is faster (linear interpolation between measured densities), and the
 * network's conv time per step, dense against sparse at ERK.
 */
import { nativeAddon } from '../src/engine/native.js';
import '../src/engine/index.js';
import { geometryFromParams } from '../src/engine/kernels/geometry.js';
import { SparseConvStructure } from '../src/engine/kernels/sparse-conv.js';
import { sparseConvAddon } from '../src/engine/kernels/sparse-addon.js';
import { createModel } from '../src/models/registry.js';
import { layerDensities } from '../src/sparsity/distributions.js';

interface Layer {
  net: string;
  name: string;
  N: number;
  /** Input size, kernel, channels in and out, stride; 'same' padding as the models use. */
  H: number;
  K: number;
  C: number;
  O: number;
  s: number;
  first: boolean;
  erk: number;
  /** How many layers of the network have this shape (and ERK density). */
  count: number;
}
const NETS: Record<string, { model: string; batch: number }> = {
  conv4: { model: 'cifar_conv4', batch: 60 },
  resnet20: { model: 'cifar_resnet_20', batch: 128 },
  vgg16: { model: 'cifar_vgg_16', batch: 128 },
};

/** The conv layers of a registry model, with input sizes and strides read off its output sizes. */
function layersOf(net: string, sparsity: number): Layer[] {
  const { model, batch } = NETS[net]!;
  const m = createModel(model, [32, 32, 3], 10);
  const erk = layerDensities(m.specs, { distribution: 'erk', sparsity } as Parameters<
    typeof layerDensities
  >[1]);
  const out: Layer[] = [];
  let prev = 32;
  m.specs
    .filter((sp) => sp.kind === 'conv')
    .forEach((sp, i) => {
      const [K, , C, O] = sp.shape as [number, number, number, number];
      const size = Math.round(Math.sqrt(sp.usesPerExample));
      const shortcut = sp.name.includes('shortcut');
      // ResNets downsample with stride-2 convs; Conv-4 and VGG-16 with max-pools between convs
      const strided = shortcut || (model.includes('resnet') && size < prev);
      const H = strided ? size * 2 : size;
      if (!shortcut) prev = size;
      const d = erk.get(sp.name) ?? 1;
      const name = `${K}×${K} ${C}→${O} ${H}²${strided ? ' s2' : ''}`;
      const same = out.find((l) => l.name === name && Math.abs(l.erk - d) < 1e-9 && !l.first);
      if (same && i > 0) same.count++;
      else
        out.push({ net, name, N: batch, H, K, C, O, s: strided ? 2 : 1, first: i === 0, erk: d, count: 1 });
    });
  return out;
}

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const nets = arg('nets', 'conv4,resnet20,vgg16').split(',');
const densities = arg('densities', '1,0.5,0.3,0.2,0.1,0.05').split(',').map(Number);
const reps = Number(arg('reps', '5'));
const pass = arg('pass', 'train');
const erkS = arg('erk', '0.9,0.9,0.95').split(',').map(Number);

const dense = nativeAddon();
const sparse = sparseConvAddon();
if (!dense || !sparse) throw new Error('the native addon is not loaded (npm run build:native)');

let seed = 1;
const rand = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function params(l: Layer): number[] {
  const OH = Math.ceil(l.H / l.s);
  const padTotal = Math.max((OH - 1) * l.s + l.K - l.H, 0);
  const pt = Math.floor(padTotal / 2);
  return [l.N, l.H, l.H, l.C, l.K, l.K, l.O, OH, OH, l.s, l.s, pt, pt, padTotal - pt, padTotal - pt, 1, 1];
}

/** Milliseconds of one call of f: the median of 5 timed batches after a warm-up call. */
function time(f: () => void): number {
  f();
  const n = 3,
    ts: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) f();
    ts.push((performance.now() - t0) / n);
  }
  return median(ts);
}

console.log(`sparse conv kernels: ${sparse.sparseConvIsa()}, ${dense.info().threads} threads; pass: ${pass}`);
const header = ['layer', '×', 'dense ms', ...densities.map((d) => `d=${d}`), 'break-even', 'ERK d', 'at ERK'];
console.log(header.join('\t'));
const totals = new Map<string, { dense: number; sparse: number }>();
const all = nets.flatMap((n) => layersOf(n, erkS[Object.keys(NETS).indexOf(n)] ?? 0.9));
for (const l of all) {
  const p = params(l);
  const OH = p[7]!;
  const x = Float32Array.from({ length: l.N * l.H * l.H * l.C }, () => rand() - 0.5);
  const dy = Float32Array.from({ length: l.N * OH * OH * l.O }, () => rand() - 0.5);
  const y = new Float32Array(dy.length),
    dx = new Float32Array(x.length);
  const wSize = l.K * l.K * l.C * l.O;
  const dw = new Float32Array(wSize);
  const want = (q: string) => pass === 'train' || pass === q;
  const grid = [...densities, l.erk];
  const structs = grid.map((d) => {
    const m = Float32Array.from({ length: wSize }, () => (rand() < d ? 1 : 0));
    const w = Float32Array.from(m, (v) => v * (rand() - 0.5));
    return { s: new SparseConvStructure([l.K, l.K, l.C, l.O], m), w };
  });
  const w0 = structs[0]!.w;
  const geometry = geometryFromParams(p);
  const runDense = () => {
    if (want('fwd')) dense.convFwd(y, x, w0, null, geometry);
    if (want('dx') && !l.first) dense.convBwdData(dx, dy, w0, geometry);
    if (want('dw')) dense.convBwdWeights(dw, x, dy, geometry);
  };
  // as the op runs a step: x packed once (forward, reused by dW), dy packed once (dx and dW)
  const [xLen, dyLen] = sparse.sparseConvPackedSizes(geometry);
  const xp = new Float32Array(xLen),
    dyp = new Float32Array(dyLen);
  const runSparse = (k: number) => () => {
    const { s, w } = structs[k]!;
    if (want('fwd') || want('dw')) sparse.sparseConvPackX(xp, x, geometry);
    if (want('dx') || want('dw')) sparse.sparseConvPackDy(dyp, dy, geometry);
    if (want('fwd'))
      sparse.sparseConvFwd(y, x, w, null, s.outPtr, s.outIdx, xp, { ...geometry, relu: false });
    if (want('dx') && !l.first) sparse.sparseConvBwdData(dx, dy, w, s.inPtr, s.inIdx, dyp, geometry);
    if (want('dw')) sparse.sparseConvBwdWeights(dw, x, dy, s.outPtr, s.outIdx, xp, dyp, geometry);
  };
  const td: number[] = [],
    ts: number[][] = grid.map(() => []);
  for (let r = 0; r < reps; r++) {
    td.push(time(runDense));
    grid.forEach((_, k) => ts[k]!.push(time(runSparse(k))));
  }
  const d0 = median(td),
    s = ts.map(median);
  // the highest density at which sparse is faster, interpolated between neighbours
  let be = 0;
  for (let k = 0; k < densities.length; k++) {
    if (s[k]! < d0) {
      const prev = k > 0 ? k - 1 : -1;
      be =
        prev < 0
          ? densities[k]!
          : densities[k]! +
            ((densities[prev]! - densities[k]!) * (d0 - s[k]!)) / Math.max(1e-9, s[prev]! - s[k]!);
      break;
    }
  }
  const atErk = s[grid.length - 1]!;
  const t = totals.get(l.net) ?? { dense: 0, sparse: 0 };
  // a layer at or above its break-even density stays dense (as the engine's per-layer choice would)
  totals.set(l.net, { dense: t.dense + l.count * d0, sparse: t.sparse + l.count * Math.min(d0, atErk) });
  console.log(
    [
      `${l.net} ${l.name}`,
      String(l.count),
      d0.toFixed(2),
      ...s.slice(0, densities.length).map((v) => `${v.toFixed(2)} (${(d0 / v).toFixed(1)}×)`),
      be.toFixed(2),
      l.erk.toFixed(3),
      `${atErk.toFixed(2)} (${(d0 / atErk).toFixed(1)}×)`,
    ].join('\t'),
  );
}
for (const [net, t] of totals)
  console.log(
    `${net}: conv ms per step, dense ${t.dense.toFixed(1)}, sparse at ERK ${erkS[Object.keys(NETS).indexOf(net)]} (each layer on the faster kernel) ${t.sparse.toFixed(1)}: ${(t.dense / t.sparse).toFixed(2)}×`,
  );

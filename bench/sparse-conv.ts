/**
 * Per-layer break-even density of the sparse convolution kernels (native/src/sparse_conv.cc)
 * against the dense oneDNN convolution, on the conv shapes of Conv-4, ResNet-20 and VGG-16:
 * `npx tsx bench/sparse-conv.ts [--nets conv4,resnet20,vgg16] [--densities 1,0.5,...] [--reps 5]
 * [--pass train|fwd|dx|dw]`. A training step's three passes (forward, input gradient, weight
 * gradient; the first layer has no input gradient) are timed per layer, dense and sparse at each
 * density, interleaved over the repetitions; medians. Prints ms per pass, the speed-up, and the
 * density below which the sparse layer is faster (linear interpolation between measured densities).
 */
import { nativeAddon } from '../src/engine/native.js';
import '../src/engine/index.js';
import { SparseConvStructure, sparseConvAddon } from '../src/engine/kernels/sparse-conv.js';

interface Layer {
  net: string;
  name: string;
  /** N, H, W, C, K, O, stride; 'same' padding as the models use. */
  N: number;
  H: number;
  C: number;
  K: number;
  O: number;
  s: number;
  first?: boolean;
  /** How many times the network runs this shape per step. */
  count: number;
}
const LAYERS: Layer[] = [
  { net: 'conv4', name: 'conv1 3→64 32²', N: 60, H: 32, C: 3, K: 3, O: 64, s: 1, first: true, count: 1 },
  { net: 'conv4', name: 'conv2 64→64 32²', N: 60, H: 32, C: 64, K: 3, O: 64, s: 1, count: 1 },
  { net: 'conv4', name: 'conv3 64→128 16²', N: 60, H: 16, C: 64, K: 3, O: 128, s: 1, count: 1 },
  { net: 'conv4', name: 'conv4 128→128 16²', N: 60, H: 16, C: 128, K: 3, O: 128, s: 1, count: 1 },
  { net: 'resnet20', name: 'stem 3→16 32²', N: 128, H: 32, C: 3, K: 3, O: 16, s: 1, first: true, count: 1 },
  { net: 'resnet20', name: '16→16 32²', N: 128, H: 32, C: 16, K: 3, O: 16, s: 1, count: 6 },
  { net: 'resnet20', name: '16→32 s2', N: 128, H: 32, C: 16, K: 3, O: 32, s: 2, count: 1 },
  { net: 'resnet20', name: '32→32 16²', N: 128, H: 16, C: 32, K: 3, O: 32, s: 1, count: 5 },
  { net: 'resnet20', name: '32→64 s2', N: 128, H: 16, C: 32, K: 3, O: 64, s: 2, count: 1 },
  { net: 'resnet20', name: '64→64 8²', N: 128, H: 8, C: 64, K: 3, O: 64, s: 1, count: 5 },
  { net: 'resnet20', name: 'shortcut 1×1 16→32 s2', N: 128, H: 32, C: 16, K: 1, O: 32, s: 2, count: 1 },
  { net: 'vgg16', name: '64→64 32²', N: 128, H: 32, C: 64, K: 3, O: 64, s: 1, count: 1 },
  { net: 'vgg16', name: '128→128 16²', N: 128, H: 16, C: 128, K: 3, O: 128, s: 1, count: 1 },
  { net: 'vgg16', name: '256→256 8²', N: 128, H: 8, C: 256, K: 3, O: 256, s: 1, count: 2 },
  { net: 'vgg16', name: '512→512 4²', N: 128, H: 4, C: 512, K: 3, O: 512, s: 1, count: 2 },
  { net: 'vgg16', name: '512→512 2²', N: 128, H: 2, C: 512, K: 3, O: 512, s: 1, count: 3 },
];

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const nets = arg('nets', 'conv4,resnet20,vgg16').split(',');
const densities = arg('densities', '1,0.5,0.3,0.2,0.1,0.05').split(',').map(Number);
const reps = Number(arg('reps', '5'));
const pass = arg('pass', 'train');

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
const header = ['layer', 'dense ms', ...densities.map((d) => `d=${d}`), 'break-even'];
console.log(header.join('\t'));
for (const l of LAYERS.filter((x) => nets.includes(x.net))) {
  const p = params(l);
  const OH = p[7]!;
  const x = Float32Array.from({ length: l.N * l.H * l.H * l.C }, () => rand() - 0.5);
  const dy = Float32Array.from({ length: l.N * OH * OH * l.O }, () => rand() - 0.5);
  const y = new Float32Array(dy.length),
    dx = new Float32Array(x.length);
  const wSize = l.K * l.K * l.C * l.O;
  const dw = new Float32Array(wSize);
  const want = (q: string) => pass === 'train' || pass === q;
  const structs = densities.map((d) => {
    const m = Float32Array.from({ length: wSize }, () => (rand() < d ? 1 : 0));
    const w = Float32Array.from(m, (v) => v * (rand() - 0.5));
    return { s: new SparseConvStructure([l.K, l.K, l.C, l.O], m), w };
  });
  const w0 = structs[0]!.w;
  const runDense = () => {
    if (want('fwd')) dense.convFwd(y, x, w0, null, p, 0, 0);
    if (want('dx') && !l.first) dense.convBwdData(dx, dy, w0, p);
    if (want('dw')) dense.convBwdWeights(dw, x, dy, p);
  };
  const runSparse = (k: number) => () => {
    const { s, w } = structs[k]!;
    if (want('fwd')) sparse.sparseConvFwd(y, x, w, null, p, 0, s.outPtr, s.outIdx);
    if (want('dx') && !l.first) sparse.sparseConvBwdData(dx, dy, w, p, s.inPtr, s.inIdx);
    if (want('dw')) sparse.sparseConvBwdWeights(dw, x, dy, p, s.outPtr, s.outIdx);
  };
  const td: number[] = [],
    ts: number[][] = densities.map(() => []);
  for (let r = 0; r < reps; r++) {
    td.push(time(runDense));
    densities.forEach((_, k) => ts[k]!.push(time(runSparse(k))));
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
  console.log(
    [
      `${l.net} ${l.name}`,
      d0.toFixed(2),
      ...s.map((v) => `${v.toFixed(2)} (${(d0 / v).toFixed(1)}×)`),
      be.toFixed(2),
    ].join('\t'),
  );
}

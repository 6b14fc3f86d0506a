/**
 * Seeded synthetic classification data, for tests and for the Deep Bootstrap "Ideal World":
 * - blobs: each class is a fixed random pattern plus Gaussian noise (learnable even by a linear model);
 * - teacher: Gaussian inputs labelled by a fixed random one-hidden-layer MLP, which can draw unlimited
 *   fresh samples from the same distribution.
 */
import { SprigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { Batch, Dataset, Split } from './types.js';

export interface BlobsOptions {
  /** [h, w, c]; default [8, 8, 1]. */
  inputShape?: [number, number, number];
  /** Default 4. */
  numClasses?: number;
  /** Default 512. */
  nTrain?: number;
  /** Default 256. */
  nTest?: number;
  seed?: number;
  /** Standard deviation of the per-pixel noise around each class pattern (patterns have std 1); default 1. */
  noise?: number;
}

export interface TeacherOptions {
  inputShape?: [number, number, number];
  numClasses?: number;
  nTrain?: number;
  nTest?: number;
  seed?: number;
  /** Hidden units of the teacher MLP; default 32. */
  hidden?: number;
}

export type SyntheticOptions = ({ kind?: 'blobs' } & BlobsOptions) | ({ kind: 'teacher' } & TeacherOptions);

function checkShape(shape: [number, number, number], numClasses: number, counts: number[]): void {
  const ok = (v: number) => Number.isInteger(v) && v > 0;
  if (!shape.every(ok) || shape.length !== 3) {
    throw new SprigError(
      `synthetic inputShape [${shape.join(', ')}] is invalid`,
      'give three positive integers [h, w, c]',
    );
  }
  if (!ok(numClasses) || numClasses < 2) {
    throw new SprigError(`synthetic numClasses ${numClasses} is invalid`, 'use an integer of at least 2');
  }
  if (!counts.every(ok)) {
    throw new SprigError(
      `synthetic sample counts [${counts.join(', ')}] are invalid`,
      'use positive integers',
    );
  }
}

/** Class-pattern-plus-noise data; classes are balanced (round-robin, then shuffled). */
export function makeBlobs(opts: BlobsOptions = {}): Dataset {
  const shape = opts.inputShape ?? [8, 8, 1];
  const k = opts.numClasses ?? 4;
  const nTrain = opts.nTrain ?? 512;
  const nTest = opts.nTest ?? 256;
  const noise = opts.noise ?? 1;
  checkShape(shape, k, [nTrain, nTest]);
  const d = shape[0] * shape[1] * shape[2];
  const root = new Rng(opts.seed ?? 0);
  const protoRng = root.fork();
  const protos = new Float32Array(k * d);
  for (let i = 0; i < protos.length; i++) protos[i] = protoRng.normal();
  const sample = (n: number, rng: Rng): Split => {
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) y[i] = i % k;
    rng.shuffle(y);
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const p = y[i]! * d;
      for (let j = 0; j < d; j++) x[i * d + j] = protos[p + j]! + noise * rng.normal();
    }
    return { x, y, n };
  };
  const train = sample(nTrain, root.fork());
  const test = sample(nTest, root.fork());
  return { name: 'synthetic', inputShape: shape, numClasses: k, train, test, augment: false };
}

/** A fixed random MLP (d → hidden ReLU → k) whose argmax labels Gaussian inputs. */
export class Teacher {
  private readonly w1: Float32Array;
  private readonly w2: Float32Array;
  private readonly b2: Float32Array;

  constructor(
    readonly inputDim: number,
    readonly numClasses: number,
    readonly hidden: number,
    seed: number,
  ) {
    const rng = new Rng(seed);
    this.w1 = gaussian(inputDim * hidden, Math.sqrt(2 / inputDim), rng);
    this.w2 = gaussian(hidden * numClasses, Math.sqrt(1 / hidden), rng);
    this.b2 = new Float32Array(numClasses);
    this.balance(rng.fork());
  }

  /** Class logits for n row-major inputs. */
  logits(x: Float32Array, n: number): Float32Array {
    const { inputDim: d, hidden: h, numClasses: k } = this;
    const out = new Float32Array(n * k);
    const a = new Float32Array(h);
    for (let i = 0; i < n; i++) {
      a.fill(0);
      for (let j = 0; j < d; j++) {
        const v = x[i * d + j]!;
        if (v === 0) continue;
        const row = j * h;
        for (let u = 0; u < h; u++) a[u]! += v * this.w1[row + u]!;
      }
      for (let u = 0; u < h; u++) {
        const r = a[u]! > 0 ? a[u]! : 0;
        if (r === 0) continue;
        for (let c = 0; c < k; c++) out[i * k + c]! += r * this.w2[u * k + c]!;
      }
      for (let c = 0; c < k; c++) out[i * k + c]! += this.b2[c]!;
    }
    return out;
  }

  /** Hard labels: the argmax of the logits. */
  label(x: Float32Array, n: number): Int32Array {
    const k = this.numClasses;
    const z = this.logits(x, n);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (z[i * k + c]! > z[i * k + best]!) best = c;
      y[i] = best;
    }
    return y;
  }

  /** n new inputs from N(0, I) with their teacher labels: an endless supply of i.i.d. data. */
  freshSamples(n: number, rng: Rng): Batch {
    const x = gaussian(n * this.inputDim, 1, rng);
    return { x, y: this.label(x, n), n };
  }

  // A random teacher's argmax favours some classes; shifting the output biases roughly balances them,
  // so that every class is learnable and chance accuracy is 1/k.
  private balance(rng: Rng): void {
    const n = 2048;
    const k = this.numClasses;
    const z = this.logits(gaussian(n * this.inputDim, 1, rng), n); // b2 is still 0 here
    for (let round = 0; round < 20; round++) {
      const freq = new Float64Array(k);
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let c = 1; c < k; c++)
          if (z[i * k + c]! + this.b2[c]! > z[i * k + best]! + this.b2[best]!) best = c;
        freq[best]! += 1 / n;
      }
      for (let c = 0; c < k; c++) this.b2[c]! -= 0.5 * Math.log((freq[c]! + 0.5 / n) * k);
    }
  }
}

/** The teacher task as a Dataset, with `freshSamples` for the Ideal World. */
export function makeTeacherDataset(opts: TeacherOptions = {}): Dataset {
  const shape = opts.inputShape ?? [8, 8, 1];
  const k = opts.numClasses ?? 4;
  const nTrain = opts.nTrain ?? 512;
  const nTest = opts.nTest ?? 256;
  const hidden = opts.hidden ?? 32;
  checkShape(shape, k, [nTrain, nTest, hidden]);
  const root = new Rng(opts.seed ?? 0);
  const teacher = new Teacher(shape[0] * shape[1] * shape[2], k, hidden, root.nextU32());
  const train = teacher.freshSamples(nTrain, root.fork());
  const test = teacher.freshSamples(nTest, root.fork());
  return {
    name: 'synthetic',
    inputShape: shape,
    numClasses: k,
    train,
    test,
    augment: false,
    freshSamples: (n, rng) => teacher.freshSamples(n, rng),
  };
}

export function makeSynthetic(opts: SyntheticOptions = {}): Dataset {
  return opts.kind === 'teacher' ? makeTeacherDataset(opts) : makeBlobs(opts);
}

// Box–Muller using both outputs of each pair: half the logs and square roots of calling rng.normal() n times.
function gaussian(n: number, std: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    let u = rng.next();
    while (u <= 1e-12) u = rng.next();
    const r = std * Math.sqrt(-2 * Math.log(u));
    const t = 2 * Math.PI * rng.next();
    a[i] = r * Math.cos(t);
    if (i + 1 < n) a[i + 1] = r * Math.sin(t);
  }
  return a;
}

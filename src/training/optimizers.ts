/**
 * Optimizers over plain Float32Arrays, updating the weights in place (the live buffers of the
 * model's variables). Sparse training wraps them (see training/loop.ts): gradients arrive masked and
 * weights are re-masked after each step, so any optimizer keeps pruned weights at exactly zero.
 */
import { SprigError, unknownName } from '../util/errors.js';
import { nativeAdamUpdate, nativeSgdUpdate } from '../engine/native.js';
import { sparseAddon, type MirrorArgs } from '../engine/kernels/sparse.js';

export interface OptimizerHparams {
  optimizer: 'sgd' | 'adam';
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export const OPTIMIZER_NAMES = ['sgd', 'adam'] as const;

export interface Optimizer {
  /** One update of weight `name`. `lr` is this step's learning rate; `mask` re-zeroes pruned weights after it. */
  update(name: string, w: Float32Array, g: Float32Array, lr: number, mask?: Float32Array): void;
  /**
   * The same update at the positions `active` only (a sparse layer's active weights; the masked ones
   * hold zero weights and gradients, which the masked update would leave at zero). `mirror`: the
   * sparse kernels' compact copies of the active weights, written too.
   */
  updateActive?(
    name: string,
    w: Float32Array,
    g: Float32Array,
    lr: number,
    active: Int32Array,
    mirror?: MirrorArgs,
  ): void;
  /** Called once per training step, after all weights are updated. */
  endStep(): void;
  /** Zero the moments at the given positions (RigL: regrown connections start with fresh state). */
  resetMoments(name: string, indices: Iterable<number>): void;
  /** Moment buffers by name, for checkpoints; `load` restores them. */
  state(): { scalars: Record<string, number>; buffers: Map<string, Float32Array> };
  load(state: { scalars: Record<string, number>; buffers: Map<string, Float32Array> }): void;
}

/** SGD with (Nesterov) momentum and coupled L2 weight decay, PyTorch's formulation. */
export class Sgd implements Optimizer {
  private readonly velocity = new Map<string, Float32Array>();
  constructor(private readonly h: Pick<OptimizerHparams, 'momentum' | 'nesterov' | 'weightDecay'>) {}

  update(name: string, w: Float32Array, g: Float32Array, lr: number, mask?: Float32Array): void {
    const { momentum: mu, nesterov, weightDecay: wd } = this.h;
    let v = this.velocity.get(name);
    if (mu !== 0 && !v) this.velocity.set(name, (v = new Float32Array(w.length)));
    if (nativeSgdUpdate(w, g, v ?? null, mask ?? null, { lr, momentum: mu, weightDecay: wd, nesterov }))
      return;
    if (!v) {
      for (let i = 0; i < w.length; i++) w[i]! -= lr * (g[i]! + wd * w[i]!);
    } else {
      for (let i = 0; i < w.length; i++) {
        const d = g[i]! + wd * w[i]!;
        const vi = mu * v[i]! + d;
        v[i] = vi;
        w[i]! -= lr * (nesterov ? d + mu * vi : vi);
      }
    }
    if (mask) for (let i = 0; i < w.length; i++) w[i]! *= mask[i]!;
  }

  updateActive(
    name: string,
    w: Float32Array,
    g: Float32Array,
    lr: number,
    active: Int32Array,
    mirror: MirrorArgs = [],
  ): void {
    const { momentum: mu, nesterov, weightDecay: wd } = this.h;
    let v = this.velocity.get(name);
    if (mu !== 0 && !v) this.velocity.set(name, (v = new Float32Array(w.length)));
    const nat = sparseAddon();
    if (nat) return nat.sgdActive(w, g, v ?? null, active, lr, mu, wd, nesterov, ...mirror);
    for (const i of active) {
      let d = g[i]! + wd * w[i]!;
      if (v) {
        const vi = (v[i] = mu * v[i]! + d);
        d = nesterov ? d + mu * vi : vi;
      }
      w[i]! -= lr * d;
    }
  }

  endStep(): void {}

  resetMoments(name: string, indices: Iterable<number>): void {
    const v = this.velocity.get(name);
    if (v) for (const i of indices) v[i] = 0;
  }

  state() {
    return { scalars: {}, buffers: new Map([...this.velocity].map(([k, v]) => [`v/${k}`, v])) };
  }

  load(s: { buffers: Map<string, Float32Array> }): void {
    for (const [k, v] of s.buffers)
      if (k.startsWith('v/')) this.velocity.set(k.slice(2), Float32Array.from(v));
  }
}

/** Adam (Kingma & Ba) with coupled L2 weight decay and bias correction. */
export class Adam implements Optimizer {
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private t = 1;
  constructor(private readonly h: Pick<OptimizerHparams, 'beta1' | 'beta2' | 'epsilon' | 'weightDecay'>) {}

  update(name: string, w: Float32Array, g: Float32Array, lr: number, mask?: Float32Array): void {
    const { beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd } = this.h;
    let m = this.m.get(name);
    let v = this.v.get(name);
    if (!m || !v) {
      this.m.set(name, (m = new Float32Array(w.length)));
      this.v.set(name, (v = new Float32Array(w.length)));
    }
    const opts = { lr, beta1: b1, beta2: b2, eps, weightDecay: wd, step: this.t, decoupled: false };
    if (nativeAdamUpdate(w, g, m, v, mask ?? null, opts)) return;
    const c1 = 1 - Math.pow(b1, this.t);
    const c2 = 1 - Math.pow(b2, this.t);
    const step = lr / c1;
    for (let i = 0; i < w.length; i++) {
      const d = g[i]! + wd * w[i]!;
      const mi = b1 * m[i]! + (1 - b1) * d;
      const vi = b2 * v[i]! + (1 - b2) * d * d;
      m[i] = mi;
      v[i] = vi;
      w[i]! -= (step * mi) / (Math.sqrt(vi / c2) + eps);
    }
    if (mask) for (let i = 0; i < w.length; i++) w[i]! *= mask[i]!;
  }

  updateActive(
    name: string,
    w: Float32Array,
    g: Float32Array,
    lr: number,
    active: Int32Array,
    mirror: MirrorArgs = [],
  ): void {
    const { beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd } = this.h;
    let m = this.m.get(name);
    let v = this.v.get(name);
    if (!m || !v) {
      this.m.set(name, (m = new Float32Array(w.length)));
      this.v.set(name, (v = new Float32Array(w.length)));
    }
    const nat = sparseAddon();
    if (nat) return nat.adamActive(w, g, m, v, active, lr, b1, b2, eps, wd, this.t, ...mirror);
    const step = lr / (1 - Math.pow(b1, this.t));
    const c2 = 1 - Math.pow(b2, this.t);
    for (const i of active) {
      const d = g[i]! + wd * w[i]!;
      const mi = (m[i] = b1 * m[i]! + (1 - b1) * d);
      const vi = (v[i] = b2 * v[i]! + (1 - b2) * d * d);
      w[i]! -= (step * mi) / (Math.sqrt(vi / c2) + eps);
    }
  }

  endStep(): void {
    this.t++;
  }

  resetMoments(name: string, indices: Iterable<number>): void {
    const m = this.m.get(name);
    const v = this.v.get(name);
    if (m && v) for (const i of indices) m[i] = v[i] = 0;
  }

  state() {
    const buffers = new Map<string, Float32Array>();
    for (const [k, x] of this.m) buffers.set(`m/${k}`, x);
    for (const [k, x] of this.v) buffers.set(`v/${k}`, x);
    return { scalars: { t: this.t }, buffers };
  }

  load(s: { scalars: Record<string, number>; buffers: Map<string, Float32Array> }): void {
    this.t = s.scalars.t ?? 1;
    for (const [k, x] of s.buffers) {
      if (k.startsWith('m/')) this.m.set(k.slice(2), Float32Array.from(x));
      if (k.startsWith('v/')) this.v.set(k.slice(2), Float32Array.from(x));
    }
  }
}

export function createOptimizer(h: OptimizerHparams): Optimizer {
  if (h.momentum < 0 || h.momentum >= 1)
    throw new SprigError(`momentum ${h.momentum} is outside [0, 1)`, 'use e.g. --momentum 0.9');
  switch (h.optimizer) {
    case 'sgd':
      return new Sgd(h);
    case 'adam':
      return new Adam(h);
    default:
      throw unknownName('optimizer', h.optimizer as string, OPTIMIZER_NAMES);
  }
}

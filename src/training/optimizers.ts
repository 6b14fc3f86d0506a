/**
 * Optimizers over plain Float32Arrays, updating the weights in place (the live buffers of the
 * model's variables). Sparse training wraps them (see training/loop.ts): gradients arrive masked and
 * weights are re-masked after each step, so any optimizer keeps pruned weights at exactly zero.
 */
import { SprigError, unknownName } from '../util/errors.js';
import {
  nativeAdamUpdate,
  nativeSgdUpdate,
  sparseAddon,
  type MirrorArgs,
  type MomentsOf,
  type OptimizerSettings,
} from '../engine/index.js';
import { Moments } from './moments.js';

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
   * hold zero weights and gradients, which the masked update would leave at zero). The layer's
   * moments are then kept compact, one entry per active weight (moments.ts). `mirror`: the sparse
   * kernels' compact copies of the active weights, written too.
   */
  updateActive?(
    name: string,
    w: Float32Array,
    g: Float32Array,
    lr: number,
    active: Int32Array,
    mirror?: MirrorArgs,
  ): void;
  /**
   * This step's settings for the compiled engine, and per weight the moment buffers `update` (or,
   * given `active`, `updateActive`) would use: the compiled step updates the same state.
   */
  compiled?(lr: number): OptimizerSettings;
  moments?: MomentsOf;
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
  private readonly velocity = new Moments();
  constructor(private readonly h: Pick<OptimizerHparams, 'momentum' | 'nesterov' | 'weightDecay'>) {}

  update(name: string, w: Float32Array, g: Float32Array, lr: number, mask?: Float32Array): void {
    const { momentum: mu, nesterov, weightDecay: wd } = this.h;
    const v = mu !== 0 ? this.velocity.dense(name, w.length) : null;
    if (nativeSgdUpdate(w, g, v, mask ?? null, { lr, momentum: mu, weightDecay: wd, nesterov })) return;
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
    mirror: MirrorArgs = [null, null, null],
  ): void {
    const { momentum: mu, nesterov, weightDecay: wd } = this.h;
    // one velocity entry per active weight, in `active` order
    const v = mu !== 0 ? this.velocity.sparse(name, active, w.length) : null;
    const nat = sparseAddon();
    if (nat)
      return nat.sgdActive(w, g, v, active, ...mirror, { lr, momentum: mu, weightDecay: wd, nesterov });
    for (let j = 0; j < active.length; j++) {
      const i = active[j]!;
      let d = g[i]! + wd * w[i]!;
      if (v) {
        const vj = (v[j] = mu * v[j]! + d);
        d = nesterov ? d + mu * vj : vj;
      }
      w[i]! -= lr * d;
    }
  }

  compiled(lr: number): OptimizerSettings {
    const { momentum, nesterov, weightDecay } = this.h;
    return { optimizer: 'sgd', lr, momentum, nesterov, weightDecay };
  }

  readonly moments: MomentsOf = (name, n, active) => {
    if (this.h.momentum === 0) return { m: null, v: null };
    return { m: active ? this.velocity.sparse(name, active, n) : this.velocity.dense(name, n), v: null };
  };

  endStep(): void {}

  resetMoments(name: string, indices: Iterable<number>): void {
    this.velocity.reset(name, indices);
  }

  state() {
    return { scalars: {}, buffers: new Map(this.velocity.entries('v/')) };
  }

  load(s: { buffers: Map<string, Float32Array> }): void {
    this.velocity.load('v/', s.buffers);
  }
}

/** Adam (Kingma & Ba) with coupled L2 weight decay and bias correction. */
export class Adam implements Optimizer {
  private readonly m = new Moments();
  private readonly v = new Moments();
  private t = 1;
  constructor(private readonly h: Pick<OptimizerHparams, 'beta1' | 'beta2' | 'epsilon' | 'weightDecay'>) {}

  update(name: string, w: Float32Array, g: Float32Array, lr: number, mask?: Float32Array): void {
    const { beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd } = this.h;
    const m = this.m.dense(name, w.length);
    const v = this.v.dense(name, w.length);
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
    mirror: MirrorArgs = [null, null, null],
  ): void {
    const { beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd } = this.h;
    const m = this.m.sparse(name, active, w.length);
    const v = this.v.sparse(name, active, w.length);
    const nat = sparseAddon();
    if (nat)
      return nat.adamActive(w, g, m, v, active, ...mirror, {
        lr,
        beta1: b1,
        beta2: b2,
        eps,
        weightDecay: wd,
        step: this.t,
      });
    const step = lr / (1 - Math.pow(b1, this.t));
    const c2 = 1 - Math.pow(b2, this.t);
    for (let j = 0; j < active.length; j++) {
      const i = active[j]!;
      const d = g[i]! + wd * w[i]!;
      const mj = (m[j] = b1 * m[j]! + (1 - b1) * d);
      const vj = (v[j] = b2 * v[j]! + (1 - b2) * d * d);
      w[i]! -= (step * mj) / (Math.sqrt(vj / c2) + eps);
    }
  }

  compiled(lr: number): OptimizerSettings {
    const { beta1, beta2, epsilon, weightDecay } = this.h;
    return { optimizer: 'adam', lr, beta1, beta2, epsilon, weightDecay, step: this.t };
  }

  readonly moments: MomentsOf = (name, n, active) =>
    active
      ? { m: this.m.sparse(name, active, n), v: this.v.sparse(name, active, n) }
      : { m: this.m.dense(name, n), v: this.v.dense(name, n) };

  endStep(): void {
    this.t++;
  }

  resetMoments(name: string, indices: Iterable<number>): void {
    const at = [...indices];
    this.m.reset(name, at);
    this.v.reset(name, at);
  }

  state() {
    const buffers = new Map([...this.m.entries('m/'), ...this.v.entries('v/')]);
    return { scalars: { t: this.t }, buffers };
  }

  load(s: { scalars: Record<string, number>; buffers: Map<string, Float32Array> }): void {
    this.t = s.scalars.t ?? 1;
    this.m.load('m/', s.buffers);
    this.v.load('v/', s.buffers);
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

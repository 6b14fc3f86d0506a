/**
 * An optimizer's moment buffers (SGD's velocity, Adam's m and v), one per weight. A layer on the
 * sparse kernels keeps one entry per active weight, in the order of its `active` positions, so its
 * state is as large as its active weights (a tenth at 90 % sparsity) and the update streams it.
 * A mask change carries the entries of the connections that stay; the others start at zero, as a
 * regrown connection's moments do. Checkpoints always see the dense layout.
 */

/** A compact buffer: entry j belongs to position active[j] of an n-entry weight. */
interface Compact {
  active: Int32Array;
  n: number;
  values: Float32Array;
}

export class Moments {
  private readonly full = new Map<string, Float32Array>();
  private readonly compact = new Map<string, Compact>();

  /** The dense buffer of weight `name` (n entries, created at zero); a compact one is spread back out. */
  dense(name: string, n: number): Float32Array {
    let d = this.full.get(name);
    if (!d) {
      const c = this.compact.get(name);
      d = c ? spread(c) : new Float32Array(n);
      this.full.set(name, d);
      this.compact.delete(name);
    }
    return d;
  }

  /** The compact buffer of weight `name` for the active positions `active` (ascending) of its n entries. */
  sparse(name: string, active: Int32Array, n: number): Float32Array {
    const c = this.compact.get(name);
    if (c?.active === active) return c.values;
    const values = new Float32Array(active.length);
    const d = this.full.get(name);
    if (c) carry(c, active, values);
    else if (d) for (let j = 0; j < active.length; j++) values[j] = d[active[j]!]!;
    this.full.delete(name);
    this.compact.set(name, { active, n, values });
    return values;
  }

  /** Zeroes the entries at the given positions (RigL: regrown connections start with fresh moments). */
  reset(name: string, positions: Iterable<number>): void {
    const d = this.full.get(name);
    const c = this.compact.get(name);
    for (const i of positions) {
      if (d) d[i] = 0;
      else if (c) {
        const j = indexOf(c.active, i);
        if (j >= 0) c.values[j] = 0;
      }
    }
  }

  /** Every buffer in the dense layout, keyed `${prefix}${name}`, for a checkpoint. */
  entries(prefix: string): [string, Float32Array][] {
    const out: [string, Float32Array][] = [...this.full].map(([n, d]) => [prefix + n, d]);
    for (const [n, c] of this.compact) out.push([prefix + n, spread(c)]);
    return out;
  }

  /** Restores the buffers keyed `${prefix}${name}` (dense layout) from a checkpoint. */
  load(prefix: string, buffers: Map<string, Float32Array>): void {
    for (const [k, x] of buffers)
      if (k.startsWith(prefix)) {
        this.full.set(k.slice(prefix.length), Float32Array.from(x));
        this.compact.delete(k.slice(prefix.length));
      }
  }
}

function spread(c: Compact): Float32Array {
  const d = new Float32Array(c.n);
  for (let j = 0; j < c.active.length; j++) d[c.active[j]!] = c.values[j]!;
  return d;
}

/** Copies the entries of positions in both `from.active` and `active` (both ascending) into `to`. */
function carry(from: Compact, active: Int32Array, to: Float32Array): void {
  let p = 0;
  for (let j = 0; j < active.length; j++) {
    const i = active[j]!;
    while (p < from.active.length && from.active[p]! < i) p++;
    if (p < from.active.length && from.active[p] === i) to[j] = from.values[p]!;
  }
}

/** Where position i sits in the ascending `active`, or −1. */
function indexOf(active: Int32Array, i: number): number {
  let lo = 0,
    hi = active.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (active[mid]! < i) lo = mid + 1;
    else if (active[mid]! > i) hi = mid - 1;
    else return mid;
  }
  return -1;
}

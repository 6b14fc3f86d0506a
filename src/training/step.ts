import { SprigError } from '../util/errors.js';

/** A point in training, as OpenLTH writes it: '40ep', '500it' or '2ep100it'. */
export class Step {
  private constructor(
    readonly ep: number,
    readonly it: number,
  ) {}

  static parse(text: string): Step {
    const m = /^\s*(?:(\d+)ep)?(?:(\d+)it)?\s*$/.exec(text);
    if (!m || (m[1] === undefined && m[2] === undefined)) {
      throw new SprigError(`cannot parse step '${text}'`, "write it as '40ep', '500it' or '2ep100it'");
    }
    return new Step(Number(m[1] ?? 0), Number(m[2] ?? 0));
  }

  static fromIterations(it: number): Step {
    return new Step(0, it);
  }

  /** Total iterations, given how many iterations make an epoch. */
  iterations(itersPerEpoch: number): number {
    return this.ep * itersPerEpoch + this.it;
  }

  toString(): string {
    if (this.ep && this.it) return `${this.ep}ep${this.it}it`;
    return this.ep ? `${this.ep}ep` : `${this.it}it`;
  }
}

/**
 * A claim tested over seeds: the per-seed paired differences (or a per-seed statistic), their mean
 * and a 95 % Student-t interval, and the verdict the interval supports. One rule for every paper:
 * the claim says the mean difference is above a margin; `holds` when the whole interval is above
 * it, `fails` when the whole interval is below it, `not shown` when the interval straddles it.
 */
import { meanStd } from '../util/stats.js';
import { tQuantile } from '../util/student-t.js';
import type { Check, Verdict } from './types.js';

/** The 95 % interval of the mean of `diffs` (t with n − 1 degrees of freedom); unbounded for n < 2. */
export function interval95(diffs: number[]): [number, number] {
  const { mean, std, n } = meanStd(diffs);
  if (n < 2) return [-Infinity, Infinity];
  const half = (tQuantile(0.975, n - 1) * std) / Math.sqrt(n);
  return [mean - half, mean + half];
}

export function verdictOf([lo, hi]: [number, number], margin: number): Verdict {
  if (lo > margin) return 'holds';
  if (hi < margin) return 'fails';
  return 'not shown';
}

/**
 * The claim "the per-seed differences are above `margin` on average", stated as `what`; `pp`: the
 * differences are accuracies or errors, printed in percentage points. A `caveat` (an arm that did not
 * train, say) makes the verdict `not shown` whatever the interval: such differences test nothing.
 */
export function claim(
  what: string,
  diffs: number[],
  opts: { margin?: number; pp?: boolean; caveat?: string } = {},
): Check {
  const margin = opts.margin ?? 0;
  const interval = interval95(diffs);
  const verdict = opts.caveat ? 'not shown' : verdictOf(interval, margin);
  const check: Check = {
    what,
    diffs,
    mean: meanStd(diffs).mean,
    interval,
    margin,
    pp: opts.pp ?? true,
    verdict,
  };
  return opts.caveat ? { ...check, caveat: opts.caveat } : check;
}

/**
 * Which seeds of an arm ended at chance accuracy (within 1 pp of 1 / classes): its training collapsed,
 * so a comparison with it says nothing about the claim. `undefined` when none did.
 */
export function collapsed(
  arm: string,
  accuracies: number[],
  seeds: number[],
  classes: number,
): string | undefined {
  const at = seeds.filter((_, i) => accuracies[i]! <= 1 / classes + 0.01);
  if (at.length === 0) return undefined;
  return `${arm} stayed at chance (${(100 / classes).toFixed(0)} %) on seed${at.length > 1 ? 's' : ''} ${at.join(', ')}: its training collapsed`;
}

/** Per-seed a − b: the paired differences of two arms measured on the same seeds. */
export const paired = (a: number[], b: number[]) => a.map((x, i) => x - b[i]!);

/** The whole report's verdict: fails if any claim fails, holds if all hold, else not shown. */
export function overall(checks: Check[]): Verdict {
  if (checks.some((c) => c.verdict === 'fails')) return 'fails';
  return checks.every((c) => c.verdict === 'holds') ? 'holds' : 'not shown';
}

/** A signed number in the check's unit (percentage points or plain), "+0.42" or "−0.10"; ±∞ for no bound. */
function signed(c: Check, x: number): string {
  const [scale, digits] = c.pp ? [100, 2] : [1, 4];
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  return `${x * scale >= 0 ? '+' : '−'}${Math.abs(x * scale).toFixed(digits)}`;
}

/** "+0.42 pp [−0.10, +0.94]": a check's mean and 95 % interval (percentage points, or plain numbers). */
export function intervalText(c: Check): string {
  const unit = c.pp ? ' pp' : '';
  return `${signed(c, c.mean)}${unit} [${signed(c, c.interval[0])}, ${signed(c, c.interval[1])}]`;
}

/** The per-seed differences, as printed beside the interval. */
export const diffsText = (c: Check) => c.diffs.map((d) => signed(c, d)).join(', ');

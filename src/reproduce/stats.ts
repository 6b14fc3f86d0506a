/** Mean ± sample std over seeds, and how the reports print them. */
import { meanStd } from '../util/stats.js';
import type { Measure } from './types.js';

export function measure(values: number[]): Measure {
  const { mean, std } = meanStd(values);
  return { values, mean, std };
}

/** "91.23 ± 0.45" in percent. */
export const pctPm = (m: Measure, digits = 2) =>
  `${(m.mean * 100).toFixed(digits)} ± ${(m.std * 100).toFixed(digits)}`;

/** "0.0123 ± 0.0004". */
export const numPm = (m: Measure, digits = 4) => `${m.mean.toFixed(digits)} ± ${m.std.toFixed(digits)}`;

export const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`;

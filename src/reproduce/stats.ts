/** Mean ± sample std over seeds, and how the reports print them. */
import type { Measure } from './types.js';

export function measure(values: number[]): Measure {
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { values, mean, std };
}

/** "91.23 ± 0.45" in percent. */
export const pctPm = (m: Measure, digits = 2) =>
  `${(m.mean * 100).toFixed(digits)} ± ${(m.std * 100).toFixed(digits)}`;

/** "0.0123 ± 0.0004". */
export const numPm = (m: Measure, digits = 4) => `${m.mean.toFixed(digits)} ± ${m.std.toFixed(digits)}`;

export const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`;

/** Mean and sample standard deviation over seeds or replicates: the one formula every report uses. */

export interface MeanStd {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  std: number;
  n: number;
}

export function meanStd(xs: number[]): MeanStd {
  const n = xs.length;
  if (!n) return { mean: NaN, std: 0, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: 0, n };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(v), n };
}

/**
 * Kendall's τ-b between two rankings of the same items (Kendall 1945): concordant minus discordant
 * pairs over the geometric mean of the untied pair counts; 1 for the same order, −1 for the reverse.
 */
export function kendallTau(a: number[], b: number[]): number {
  let s = 0;
  let untiedA = 0;
  let untiedB = 0;
  for (let i = 0; i < a.length; i++)
    for (let j = i + 1; j < a.length; j++) {
      const x = Math.sign(a[i]! - a[j]!);
      const y = Math.sign(b[i]! - b[j]!);
      s += x * y;
      untiedA += x * x;
      untiedB += y * y;
    }
  return untiedA && untiedB ? s / Math.sqrt(untiedA * untiedB) : NaN;
}

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

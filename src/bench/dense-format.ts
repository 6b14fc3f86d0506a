/** `sprig bench`'s table: one row per network, then the epoch comparison. */
import type { BenchResult, EpochRow } from './dense-result.js';

export function formatBench(r: BenchResult): string {
  const head = [
    'network',
    'batch',
    'steps (warm-up)',
    'sprig ex/s',
    'sprig GFLOP/s',
    '% of peak',
    'PyTorch ex/s',
    'ratio',
    'sprig RSS MB',
    'PyTorch RSS MB',
    'RSS ratio',
  ];
  const rows = r.rows.map((x) => [
    x.net,
    String(x.batch),
    `${x.steps} (${x.warmup})`,
    x.sprig.examplesPerS.toFixed(0),
    (x.sprig.gflopsPerS ?? NaN).toFixed(1),
    r.peak ? ((100 * x.sprig.gflopsPerS) / r.peak.gflops).toFixed(0) : '-',
    x.pytorch.examplesPerS.toFixed(0),
    x.ratio.toFixed(2),
    x.sprig.maxRssMB.toFixed(0),
    x.pytorch.maxRssMB.toFixed(0),
    x.rssRatio.toFixed(2),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (c: string[]) => c.map((s, i) => (i === 0 ? s.padEnd(w[i]!) : s.padStart(w[i]!))).join('  ');
  const out = [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)];
  out.push(
    `(medians of ${r.settings.reps} interleaved repetitions, each the median step time over its timed steps; ratio = sprig / PyTorch)`,
  );
  out.push(
    'GFLOP/s: dense training FLOPs (3× forward, RigL App. H: conv and FC multiply-adds, no BN/bias) per second',
  );
  if (r.peak)
    out.push(
      `% of peak: against this machine's measured fp32 peak, ${r.peak.gflops.toFixed(0)} GFLOP/s (an ${r.peak.isa} FMA loop on ${r.peak.threads} threads, registers only; the higher of before and after the runs)`,
    );
  out.push(
    `machine load (1-min average) during the run: ${r.load.min.toFixed(2)}–${r.load.max.toFixed(2)} on ${r.machine.cpus} CPUs` +
      // the benchmark itself keeps about `cpus` threads busy: more than that is someone else
      (r.load.max > r.machine.cpus + 1
        ? ' — other processes were busy: both engines slow down, PyTorch more (its OpenMP threads stall on a busy machine)'
        : ''),
  );
  if (r.epoch) out.push('', ...formatEpoch(r.epoch));
  return out.join('\n');
}

/** The epoch comparison: each engine's load and train time, accuracy and RSS, and the speed-up. */
function formatEpoch(e: EpochRow): string[] {
  const out: string[] = [];
  out.push(
    `one epoch of LeNet-300-100 on Fashion-MNIST (batch 60, SGD 0.1; median of ${e.reps} interleaved repetitions):`,
  );
  out.push(
    `  sprig:   load ${e.sprig.loadS.toFixed(2)} s + train ${e.sprig.trainEpochS.toFixed(2)} s, test accuracy ${(100 * e.sprig.testAccuracy).toFixed(2)}%, RSS ${e.sprig.maxRssMB.toFixed(0)} MB`,
  );
  out.push(
    `  PyTorch: load ${e.pytorch.loadS.toFixed(2)} s + train ${e.pytorch.trainEpochS.toFixed(2)} s, test accuracy ${(100 * e.pytorch.testAccuracy).toFixed(2)}%, RSS ${e.pytorch.maxRssMB.toFixed(0)} MB`,
  );
  out.push(`  speed-up (PyTorch time / sprig time): ${e.speedup.toFixed(2)}`);
  return out;
}

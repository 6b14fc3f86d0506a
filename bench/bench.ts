/**
 * sprig vs PyTorch, in one run: `npx tsx bench/bench.ts [--nets lenet300,conv4] [--reps 3] [--steps N] [--warmup N] [--no-epoch]`.
 * (The same as `sprig bench`; see src/bench/dense.ts.) Results go to bench/results/.
 */
import { runBench } from '../src/bench/dense.js';
import { BENCH_NETS, type BenchNet } from '../src/bench/nets.js';

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const nets = opt('nets')
  ?.split(',')
  .filter((n): n is BenchNet => n in BENCH_NETS);
await runBench({
  nets,
  reps: opt('reps') ? Number(opt('reps')) : undefined,
  steps: opt('steps') ? Number(opt('steps')) : undefined,
  warmup: opt('warmup') ? Number(opt('warmup')) : undefined,
  epoch: !argv.includes('--no-epoch'),
  dataDir: opt('data-dir'),
});

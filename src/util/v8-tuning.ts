/**
 * V8 settings for sprig's processes (the CLI and the bench workers), applied before the rest is evaluated (import this
 * module first). `SPRIG_V8_TUNING=0` skips them.
 * - A training step runs the same few hundred TF.js functions over and over, so optimising them
 *   sooner pays: with a lower interrupt budget (8000 instead of 132 KB) V8's optimising compiler
 *   starts after fewer calls, and a LeNet-300-100 epoch (1000 steps, the first ~200 of which run in
 *   V8's slower tiers by default) trains faster.
 * - No incremental marking. Training allocates megabytes of typed arrays outside V8's small heap
 *   (~30 MB). After one full collection forced by that external memory, V8 kept starting a new
 *   incremental marking as soon as the last ended: 8–17 mark-compacts a second for the rest of the
 *   process (`node --trace-gc dist/cli/main.js flagship`), each marking thread taking a core from
 *   the kernels' two. Atomic collections at the heap limit: 6 in the flagship's last 60 s.
 */
import { setFlagsFromString } from 'node:v8';

if (process.env.SPRIG_V8_TUNING !== '0') {
  setFlagsFromString('--interrupt-budget=8000');
  setFlagsFromString('--no-incremental-marking');
}

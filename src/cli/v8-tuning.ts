/**
 * V8 settings for sprig's processes, applied before the rest of the CLI is evaluated (import this
 * module first). A training step runs the same few hundred TF.js functions over and over, so
 * optimising them sooner pays: with a lower interrupt budget (8000 instead of 132 KB) V8's
 * optimising compiler starts after fewer calls, and a LeNet-300-100 epoch (1000 steps, the first
 * ~200 of which run in V8's slower tiers by default) trains faster. `SPRIG_V8_TUNING=0` skips it.
 */
import { setFlagsFromString } from 'node:v8';

if (process.env.SPRIG_V8_TUNING !== '0') setFlagsFromString('--interrupt-budget=8000');

/**
 * The native products and convolutions survive signals: a child process runs them in a loop under
 * `node --cpu-prof` (a SIGPROF every 50 µs) on two threads, checking each result against the first.
 * dnnl_sgemm's JIT kernels fail this (oneDNN issue #4845: rsp points into the heap mid-kernel, so
 * the signal frame lands there: "corrupted size vs. prev_size" within a second); the kernels sprig
 * picks must not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineStatus } from '../src/engine/index.js';

const status = engineStatus();
const skip = status.engine === 'native' ? false : `native engine not active: ${status.reason ?? 'unknown'}`;

// impl 0: the products as the engine picks them (LeNet-300-100 at batch 128, forward, dW, dx);
// then a conv layer forward and both gradients (ResNet-20's first stage).
const CHILD = `
import { nativeAddon } from './src/engine/native.js';
import { geometryFromParams } from './src/engine/kernels/geometry.js';
import './src/engine/index.js';
const a = nativeAddon();
a.setThreads(2);
const r = (n) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
const mm = [[128, 300, 784, false, false], [784, 300, 128, true, false], [128, 784, 300, false, true], [128, 100, 300, false, false]]
  .map(([M, N, K, ta, tb]) => ({ M, N, K, ta, tb, A: r(M * K), B: r(K * N) }));
const p = geometryFromParams([32, 32, 32, 16, 3, 3, 16, 32, 32, 1, 1, 1, 1, 1, 1, 1, 1]);
const x = r(32 * 32 * 32 * 16), w = r(9 * 16 * 16), dy = r(32 * 32 * 32 * 16);
const ops = [
  ...mm.map((m) => () => { const C = new Float32Array(m.M * m.N); a.matmul(C, m.A, m.B, null, { m: m.M, n: m.N, k: m.K, transA: m.ta, transB: m.tb }); return C; }),
  () => { const y = new Float32Array(x.length); a.convFwd(y, x, w, null, p); return y; },
  () => { const o = new Float32Array(x.length); a.convBwdData(o, dy, w, p); return o; },
  () => { const o = new Float32Array(w.length); a.convBwdWeights(o, x, dy, p); return o; },
];
const ref = ops.map((f) => f());
let n = 0, bad = 0;
const t0 = Date.now();
while (Date.now() - t0 < 2000) {
  ops.forEach((f, i) => { const c = f(); for (let j = 0; j < c.length; j += 61) if (c[j] !== ref[i][j]) { bad++; break; } });
  n++;
}
console.log(JSON.stringify({ n, bad }));
`;

test('native products and convolutions keep the heap intact under SIGPROF storms', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sprig-sig-'));
  try {
    const p = spawnSync(
      process.execPath,
      [
        '--cpu-prof',
        '--cpu-prof-interval',
        '50',
        '--cpu-prof-dir',
        dir,
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        CHILD,
      ],
      { env: { ...process.env, SPRIG_THREADS: '2' }, encoding: 'utf8', cwd: process.cwd() },
    );
    assert.equal(p.status, 0, `child died (signal ${p.signal}): ${p.stderr.slice(-500)}`);
    const out = JSON.parse(p.stdout.trim().split('\n').pop()!) as { n: number; bad: number };
    assert.ok(out.n > 0);
    assert.equal(out.bad, 0, 'results changed between identical calls');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

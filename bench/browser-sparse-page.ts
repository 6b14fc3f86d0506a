/**
 * The page of bench/browser-sparse.ts: TF.js (core, CPU, layers, WASM backends) and the sprig runtime,
 * each from its own UMD build, all served locally. `measure` runs the three engines in interleaved
 * blocks and returns each one's median time per call.
 */
export const BENCH_PAGE = `<!doctype html><body>
<script src="/tf/tf-core.min.js"></script><script src="/tf/tf-backend-cpu.min.js"></script>
<script src="/tf/tf-layers.min.js"></script><script src="/tf/tf-backend-wasm.min.js"></script>
<script src="/sprig-runtime.umd.js"></script>
<script>
tf.wasm.setWasmPaths('/tf/');
const models = {};
window.setup = async (key) => {
  const m = { sprig: await sprig.loadSprig('/m/' + key + '.sprig') };
  await tf.setBackend('cpu');
  m.cpu = await tf.loadLayersModel('/m/' + key + '/model.json');
  await tf.setBackend('wasm');
  m.wasm = await tf.loadLayersModel('/m/' + key + '/model.json');
  models[key] = m;
  return { wasmSimd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') };
};
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
// One block: enough calls for about 20 ms, so the browser's coarse clock does not matter.
async function block(e, n) {
  if (e.backend) await tf.setBackend(e.backend);
  e.fn(); e.fn(); // after a backend switch: warm up again, untimed
  const t0 = performance.now();
  for (let i = 0; i < n; i++) e.fn();
  return (performance.now() - t0) / n;
}
function calibrate(fn) {
  fn();
  let n = 0; const t0 = performance.now();
  while (performance.now() - t0 < 20) { fn(); n++; }
  return Math.max(1, n);
}
window.measure = async (key, x, shape, rounds) => {
  const m = models[key];
  const tfjs = (model) => () => tf.tidy(() => model.predict(tf.tensor(x, shape)).dataSync());
  const engines = [
    { name: 'sprig', fn: () => m.sprig.predict(x) },
    { name: 'tfjs-cpu', backend: 'cpu', fn: tfjs(m.cpu) },
    { name: 'tfjs-wasm', backend: 'wasm', fn: tfjs(m.wasm) },
  ];
  const out = {};
  for (const e of engines) {
    if (e.backend) await tf.setBackend(e.backend);
    e.n = calibrate(e.fn);
    out[e.name] = { calls: e.n, times: [], y: Array.from(e.fn()) };
  }
  for (let r = 0; r < rounds; r++)
    for (let i = 0; i < engines.length; i++) {
      const e = engines[(r + i) % engines.length]; // rotate who goes first
      out[e.name].times.push(await block(e, e.n));
    }
  for (const e of engines) out[e.name].median = median(out[e.name].times);
  return out;
};
document.body.dataset.ready = '1';
</script></body>`;

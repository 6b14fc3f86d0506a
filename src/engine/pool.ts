/**
 * A recycling pool for the large Float32Array outputs of sprig's native kernels.
 *
 * Why: a ResNet-20 step makes ~300 MB of fresh activation and gradient arrays. Fresh ArrayBuffers
 * cost a page fault per 4 KB on first write (as much as the kernel that fills them) and, being
 * external memory, make V8 start a full mark-compact every ~35 ms whose concurrent marking thread
 * competes with the OpenMP team for the two cores. Reusing the buffers of disposed tensors removes
 * both.
 *
 * Safety: a buffer is reused only when nothing can still see it. The pool counts the CPU backend's
 * data entries that reference each pooled buffer (views made by Slice count too) and takes it back
 * when the last one is deleted. A buffer whose values ever left the backend through readSync
 * (`dataSync()`, `data()`, `arraySync()`, `bufferSync()`) may be held by user code after the
 * tensor is gone, so it is never reused. Native kernels read inputs with `valuesOf()` instead,
 * which does not count as leaving. `SPRIG_POOL=0` turns the pool off.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** Arrays smaller than this are left to V8 (cheap to allocate, and most are parameters). */
export const POOL_MIN_ELEMENTS = 16384;
/** Most bytes kept idle in the pool; beyond it the oldest idle buffers are dropped to the GC. */
const MAX_IDLE_BYTES = 1 << 30;

interface Entry {
  values?: unknown;
}
interface Storage {
  set(id: object, v: Entry): void;
  get(id: object): Entry | undefined;
  has(id: object): boolean;
  delete(id: object): boolean;
}
interface CpuBackend {
  data: Storage;
  readSync(id: object): unknown;
}

/**
 * Buffers the pool handed out and may take back, with the number of backend entries on each. Weak:
 * an array a kernel allocates and never hands to the backend is simply garbage-collected.
 */
const refs = new WeakMap<ArrayBuffer, number>();
/** Idle buffers by byte length, oldest first. */
const idle = new Map<number, ArrayBuffer[]>();
let idleBytes = 0;
let enabled = false;

export const poolStats = { hits: 0, misses: 0, recycled: 0, exposed: 0, dropped: 0 };

/** An uninitialised Float32Array of n elements, for a kernel that writes every element. */
export function alloc(n: number): Float32Array {
  if (n < POOL_MIN_ELEMENTS) return new Float32Array(n);
  const bytes = n * 4;
  const free = enabled ? idle.get(bytes) : undefined;
  let buf = free?.pop();
  if (buf) {
    idleBytes -= bytes;
    poolStats.hits++;
  } else {
    // allocUnsafeSlow: no zero-fill, and its own ArrayBuffer (not a slice of Buffer's shared pool).
    buf = Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;
    if (enabled) poolStats.misses++;
  }
  if (enabled) refs.set(buf, 0);
  return new Float32Array(buf, 0, n);
}

function bufferOf(e: Entry | undefined): ArrayBuffer | undefined {
  const v = e?.values;
  return ArrayBuffer.isView(v) && refs.has(v.buffer as ArrayBuffer) ? (v.buffer as ArrayBuffer) : undefined;
}

function release(buf: ArrayBuffer): void {
  refs.delete(buf);
  const bytes = buf.byteLength;
  let list = idle.get(bytes);
  if (!list) idle.set(bytes, (list = []));
  list.push(buf);
  idleBytes += bytes;
  poolStats.recycled++;
  // Over the cap: drop idle buffers of the size with the most idle bytes (a batch size no longer used).
  while (idleBytes > MAX_IDLE_BYTES) {
    let worst: number | undefined;
    for (const [b, l] of idle) {
      if (l.length && (worst === undefined || b * l.length > worst * idle.get(worst)!.length)) worst = b;
    }
    if (worst === undefined) break;
    idle.get(worst)!.shift();
    idleBytes -= worst;
    poolStats.dropped++;
  }
}

/**
 * The live values of a tensor on the CPU backend, for a kernel that uses them before it returns.
 * Unlike `dataSync()` this leaves the buffer reusable once its tensors are disposed.
 */
export function valuesOf(t: tf.TensorInfo, backend: unknown): Float32Array {
  return (backend as CpuBackend).data.get(t.dataId)!.values as Float32Array;
}

/** Hooks the pool into the CPU backend's data storage (once; a no-op with SPRIG_POOL=0). */
export function installPool(backend: unknown): boolean {
  const flag = process.env.SPRIG_POOL;
  if (enabled || flag === '0' || flag === 'false' || flag === 'off') return enabled;
  const be = backend as CpuBackend;
  const data = be.data;
  const set = data.set.bind(data),
    del = data.delete.bind(data),
    readSync = be.readSync.bind(be);
  data.set = (id, v) => {
    if (data.has(id)) forget(id);
    const buf = bufferOf(v);
    if (buf) refs.set(buf, refs.get(buf)! + 1);
    set(id, v);
  };
  const forget = (id: object): void => {
    const buf = bufferOf(data.get(id));
    if (!buf) return;
    const n = refs.get(buf)! - 1;
    if (n > 0) refs.set(buf, n);
    else release(buf);
  };
  data.delete = (id) => {
    if (data.has(id)) forget(id);
    return del(id);
  };
  be.readSync = (id) => {
    // Values that leave the backend may outlive their tensor: never reuse their buffer.
    const buf = bufferOf(data.get(id));
    if (buf) {
      refs.delete(buf);
      poolStats.exposed++;
    }
    return readSync(id);
  };
  enabled = true;
  return true;
}

/** Whether the pool is active, and how many bytes sit idle in it. */
export function poolState(): { enabled: boolean; idleBytes: number } {
  return { enabled, idleBytes };
}

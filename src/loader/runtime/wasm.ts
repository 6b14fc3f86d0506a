/**
 * The WebAssembly kernels (kernels.c, embedded as base64 by scripts/build-wasm.mjs) and the memory
 * they work in: a bump allocator over the module's linear memory. Weights are placed once; the
 * activations of one batch size sit above them and are replaced when the batch size changes.
 */
import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';

/** The kernels' exports; pointers are byte offsets into `memory`, 0 meaning none (e.g. no bias). */
export interface Kernels {
  memory: WebAssembly.Memory;
  spmm(
    x: number,
    y: number,
    rowptr: number,
    col: number,
    val: number,
    bias: number,
    rows: number,
    batch: number,
    relu: number,
  ): void;
  conv_s1(
    x: number,
    y: number,
    t: number,
    rowptr: number,
    off: number,
    val: number,
    bias: number,
    cout: number,
    ho: number,
    wo: number,
    wp: number,
    relu: number,
  ): void;
  conv_strided(
    x: number,
    y: number,
    rowptr: number,
    off: number,
    val: number,
    bias: number,
    cout: number,
    ho: number,
    wo: number,
    wp: number,
    stride: number,
    relu: number,
  ): void;
  pad(
    x: number,
    y: number,
    n: number,
    h: number,
    w: number,
    hp: number,
    wp: number,
    top: number,
    left: number,
  ): void;
  pool(
    x: number,
    y: number,
    n: number,
    h: number,
    w: number,
    ho: number,
    wo: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    top: number,
    left: number,
    max: number,
  ): void;
  __heap_base: WebAssembly.Global;
}

let module: Promise<WebAssembly.Module> | undefined;

function wasmBytes(): Uint8Array {
  const s = atob(KERNELS_WASM_BASE64);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/**
 * A fresh instance (its own memory) of the kernels. Compiled asynchronously, once per page:
 * browsers refuse synchronous compiles of more than 4 KB on the main thread.
 */
export async function instantiateKernels(): Promise<Kernels> {
  if (typeof WebAssembly !== 'object')
    throw new Error(
      "sprig's sparse runtime needs WebAssembly; load the model with layersModelOf(tf, …) instead",
    );
  module ??= WebAssembly.compile(wasmBytes() as BufferSource).catch((e: unknown) => {
    module = undefined;
    throw new Error(
      `sprig's sparse runtime needs WebAssembly SIMD (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+): ${String(e)}`,
    );
  });
  const instance = await WebAssembly.instantiate(await module, {});
  return instance.exports as unknown as Kernels;
}

const PAGE = 65536;
/**
 * Floats left free after every buffer: the stride-1 conv kernel computes whole planes at the padded
 * width and reads up to kw + 14 floats past its input (into discarded lanes); they must stay in memory.
 */
export const READ_SLACK = 64;
const align16 = (n: number) => (n + 15) & ~15;

/** A bump allocator over the kernels' memory; sizes are in floats (4 bytes), results are byte pointers. */
export class Arena {
  private top: number;

  constructor(readonly k: Kernels) {
    this.top = align16(Number(k.__heap_base.value));
  }

  /** Room for `floats` 4-byte elements (and READ_SLACK more), 16-byte aligned; grows the memory if needed. */
  alloc(floats: number): number {
    const at = this.top;
    this.top = align16(at + 4 * (floats + READ_SLACK));
    const have = this.k.memory.buffer.byteLength;
    if (this.top > have) this.k.memory.grow(Math.ceil((this.top - have) / PAGE));
    return at;
  }

  /** Copies an array into new room and returns its pointer. */
  put(a: Float32Array | Int32Array): number {
    const at = this.alloc(a.length);
    (a instanceof Float32Array ? this.f32(at, a.length) : this.i32(at, a.length)).set(a);
    return at;
  }

  /** A view of `n` floats at `ptr`. Views die when the memory grows, so take them after allocating. */
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, ptr, n);
  }

  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.k.memory.buffer, ptr, n);
  }

  /** Where the next allocation goes; `release(mark)` frees everything allocated after it. */
  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    this.top = mark;
  }
}

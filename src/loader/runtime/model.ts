/**
 * A `.sprig` model ready to run on the sparse kernels: `predict` takes examples as the user holds
 * them (NHWC pixels in [0, 1], or flat vectors) and returns one output row per example.
 */
import type { SparseManifest } from '../format.js';
import type { Plan } from './plan.js';
import { sizeOf } from './layer.js';
import { fromRuntime } from './spatial.js';
import type { Arena, Kernels } from './wasm.js';

/** Where one batch size's activations live (byte pointers into the kernels' memory). */
interface Buffers {
  batch: number;
  input: number;
  outputs: number[];
  scratch: number;
}

export class SparseModel {
  /** One example's input shape (NHWC, or flat) and output shape (e.g. [classes]). */
  readonly inputShape: number[];
  readonly outputShape: number[];
  private buffers?: Buffers;
  private readonly weightsEnd: number;

  constructor(
    private readonly k: Kernels,
    private readonly mem: Arena,
    private readonly plan: Plan,
    readonly manifest: SparseManifest,
  ) {
    this.inputShape = plan.inputShape;
    this.outputShape = plan.outputShape;
    this.weightsEnd = mem.mark();
  }

  /** What the exporter recorded (run, dataset, normalisation, test accuracy). */
  get metadata(): Record<string, unknown> {
    return this.manifest.metadata ?? {};
  }

  /** Outputs [batch][…outputShape] for inputs [batch][…inputShape], both flat. */
  predict(x: Float32Array | ArrayLike<number>, batch = x.length / sizeOf(this.inputShape)): Float32Array {
    const per = sizeOf(this.inputShape);
    if (!Number.isInteger(batch) || batch < 1 || x.length !== batch * per)
      throw new RangeError(
        `predict takes [batch][${this.inputShape.join('][')}] values (a multiple of ${per}); got ${x.length}`,
      );
    const b = this.buffersFor(batch);
    this.mem.f32(b.input, per * batch).set(x);
    const ctx = { k: this.k, mem: this.mem, batch };
    this.plan.steps.forEach((s, i) =>
      s.layer.run(
        ctx,
        s.ins.map((j) => (j < 0 ? b.input : b.outputs[j]!)),
        b.outputs[i]!,
        b.scratch,
      ),
    );
    const n = sizeOf(this.outputShape) * batch;
    const out = new Float32Array(n);
    fromRuntime(this.mem.f32(b.outputs.at(-1)!, n), out, this.outputShape, batch);
    return out;
  }

  /** Lays out the activations for this batch size (kept until another batch size comes). */
  private buffersFor(batch: number): Buffers {
    if (this.buffers?.batch === batch) return this.buffers;
    this.mem.release(this.weightsEnd);
    const input = this.mem.alloc(sizeOf(this.inputShape) * batch);
    const outputs: number[] = [];
    for (const s of this.plan.steps)
      outputs.push(s.inPlace ? outputs[s.ins[0]!]! : this.mem.alloc(sizeOf(s.layer.shape) * batch));
    const scratch = this.mem.alloc(Math.max(0, ...this.plan.steps.map((s) => s.layer.scratch?.(batch) ?? 0)));
    return (this.buffers = { batch, input, outputs, scratch });
  }
}

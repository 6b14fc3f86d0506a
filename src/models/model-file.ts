/**
 * A TF.js LayersModel file from disk: model.json (its topology and weightsManifest) and the weight
 * files it lists, checked against each other before use: a missing or short weight file is an error
 * naming it, never zero-padded weights.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { SprigError } from '../util/errors.js';

const weightSpecSchema = z.object({
  name: z.string(),
  shape: z.array(z.int().nonnegative()),
  dtype: z.string().optional(),
  quantization: z.object({ dtype: z.string() }).loose().optional(),
});
export type WeightSpec = z.infer<typeof weightSpecSchema>;

/** What sprig reads of model.json (tf.LayersModel.save writes it). */
const modelJsonSchema = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z
    .array(z.object({ paths: z.array(z.string()), weights: z.array(weightSpecSchema) }))
    .default([]),
});

export interface ModelFile {
  topology: object;
  weightSpecs: WeightSpec[];
  weightData: Uint8Array;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Bytes a weight takes in the weight files (its quantized dtype when quantized). */
function specBytes(w: WeightSpec, path: string): number {
  const dtype = w.quantization?.dtype ?? w.dtype ?? 'float32';
  if (!(dtype in BYTES))
    throw new SprigError(
      `${path}: weight ${w.name} has dtype '${dtype}'`,
      'save the model with float32 weights',
    );
  return w.shape.reduce((a, b) => a * b, 1) * BYTES[dtype]!;
}

function readJsonFile(path: string): z.infer<typeof modelJsonSchema> {
  const fix = 'pass the model.json of a TF.js LayersModel (tf.LayersModel.save writes one)';
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new SprigError(
      `cannot read TF.js model ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      fix,
    );
  }
  const r = modelJsonSchema.safeParse(raw);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new SprigError(`${path} is not a TF.js model file: ${i.path.join('.') || 'it'}: ${i.message}`, fix);
}

function readWeightFile(path: string, modelJson: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new SprigError(
      `cannot read ${path}, a weight file that ${modelJson} lists (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'put the weight files beside model.json, as tf.LayersModel.save wrote them (or save the model again)',
    );
  }
}

/** model.json and its weight files from disk; their sizes must match what model.json declares. */
export function readModelFile(path: string): ModelFile {
  const json = readJsonFile(path);
  const files = json.weightsManifest.flatMap((g) => g.paths.map((p) => join(dirname(path), p)));
  const data = Buffer.concat(files.map((f) => readWeightFile(f, path)));
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  const declared = weightSpecs.reduce((a, w) => a + specBytes(w, path), 0);
  if (data.length !== declared)
    throw new SprigError(
      `${path}'s weight files (${files.join(', ')}) hold ${data.length} bytes, where its weightsManifest declares ${declared}`,
      'copy the weight files again in full (or save the model again): sprig does not train from cut or padded weights',
    );
  return {
    topology: json.modelTopology,
    weightSpecs,
    weightData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

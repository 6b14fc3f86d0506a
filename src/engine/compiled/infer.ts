/**
 * Compiled inference: a chain model's forward pass over a batch as one native call (mlp.ts's
 * `predict`), for `sprig predict` and `loadExport`. It is the default where the addon is loaded,
 * because it stores nothing and its logits match TF.js's (tests/compiled-infer.test.ts);
 * SPRIG_INFER_ENGINE=tfjs keeps TF.js. Evaluation inside runs stays opt-in (--engine compiled),
 * since a run's stored metrics must not change with the machine.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { compiledAddon } from './addon.js';
import { CompiledMlp, type ChainLayer } from './mlp.js';
import { chainReason, sayFallback } from './plan.js';

/** The environment variable that forces inference onto TF.js ('tfjs'). */
export const INFER_ENGINE_ENV = 'SPRIG_INFER_ENGINE';

export interface InferRequest {
  modelName: string;
  chain?: ChainLayer[];
  batchNorm: boolean;
  /** The weights by name: read in place at every call (a changed buffer is rebound). */
  vars: Map<string, tf.Tensor>;
  /** Masks by weight name, as bound to the sparse engine (bindSparseLayers). */
  masks?: Map<string, Float32Array>;
}

/** Logits [B, classes] of x [B, inputs]: the array is reused by the next call. */
export interface ChainPredictor {
  classes: number;
  inputs: number;
  predict(x: Float32Array, B: number): Float32Array;
}

export type InferPlan =
  { predictor: ChainPredictor; reason?: undefined } | { predictor?: undefined; reason: string };

/** Why inference runs on TF.js, or undefined when it may be compiled (the escape hatch first). */
function inferReason(r: InferRequest): string | undefined {
  if (process.env[INFER_ENGINE_ENV] === 'tfjs') return `${INFER_ENGINE_ENV}=tfjs`;
  if (!compiledAddon()) return 'the native addon is not loaded';
  return chainReason(r.modelName, r.chain, r.batchNorm, r.vars);
}

/**
 * The compiled forward pass of a chain model, or the reason it runs on TF.js (said once per
 * process and reason, except when asked for by the environment).
 */
export function compileInference(r: InferRequest): InferPlan {
  const reason = inferReason(r);
  if (reason) {
    if (process.env[INFER_ENGINE_ENV] !== 'tfjs') sayFallback(reason, 'compiled inference');
    return { reason };
  }
  const weights = new Map<string, Float32Array>();
  for (const l of r.chain!)
    for (const n of [l.weight, l.bias]) if (n) weights.set(n, r.vars.get(n)!.dataSync() as Float32Array);
  const mlp = new CompiledMlp(compiledAddon()!, r.chain!, {
    vars: r.vars,
    weights,
    masks: r.masks,
    moments: () => ({ m: null, v: null }),
  });
  return {
    predictor: {
      classes: mlp.classes,
      inputs: r.vars.get(r.chain![0]!.weight)!.shape[0]!,
      predict: (x, B) => mlp.predict(x, B),
    },
  };
}

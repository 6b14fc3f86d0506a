/**
 * The plan compiler: whether a training run's steps can run compiled (one native call per batch,
 * mlp.ts) or stay on TF.js, which is the reference and the fallback. It says why once per process
 * and reason, and the run records it.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { CHAIN_ACTIVATIONS, compiledAddon } from './addon.js';
import { CompiledMlp, type ChainLayer, type ChainState } from './mlp.js';

export const ENGINES = ['tfjs', 'compiled'] as const;
export type EngineName = (typeof ENGINES)[number];

/** What a run asks of the compiled engine. */
export interface CompileRequest {
  modelName: string;
  /** The model as a chain of fully-connected layers, when it is one (Model.chain). */
  chain?: ChainLayer[];
  /** The loss's label smoothing when it is sprig's softmax cross-entropy; undefined for any other loss (KD). */
  labelSmoothing?: number;
  /** Trainable variables mapped to the model's parameters (bases: θ = B(m ⊙ c)). */
  reparam: boolean;
  /** Batch-norm layers (none in a chain, but a model may declare a chain wrongly). */
  batchNorm: boolean;
  state: ChainState;
}

export type CompileResult =
  { compiled: CompiledMlp; reason?: undefined } | { compiled?: undefined; reason: string };

/** A compiled plan for the run, or the reason it runs on TF.js. */
export function compilePlan(r: CompileRequest): CompileResult {
  const nat = compiledAddon();
  if (!nat) return { reason: 'the native addon is not loaded' };
  const chainWhy = chainReason(r.modelName, r.chain, r.batchNorm, r.state.vars);
  if (chainWhy) return { reason: chainWhy };
  if (r.labelSmoothing === undefined)
    return { reason: 'the loss is not softmax cross-entropy (knowledge distillation is not compiled yet)' };
  if (r.reparam) return { reason: 'the weights are reparametrised (θ = B(m ⊙ c) in a basis)' };
  return { compiled: new CompiledMlp(nat, r.chain!, r.state) };
}

/** Why a model's layers cannot run as a compiled chain (training and inference alike), or undefined. */
export function chainReason(
  modelName: string,
  chain: ChainLayer[] | undefined,
  batchNorm: boolean,
  vars: Map<string, tf.Tensor>,
): string | undefined {
  if (!chain)
    return `model ${modelName} is not a chain of fully-connected layers (convolutions, pooling and batch norm are not compiled yet)`;
  if (batchNorm) return `model ${modelName} has batch norm`;
  const act = chain.find((l) => !Object.hasOwn(CHAIN_ACTIVATIONS, l.activation));
  if (act)
    return `layer ${act.weight} has activation '${act.activation}' (compiled: ${Object.keys(CHAIN_ACTIVATIONS).join(', ')})`;
  const bad = chain.find((l) => vars.get(l.weight)?.rank !== 2);
  if (bad) return `layer ${bad.weight} is not a [in, out] weight of the model`;
  return undefined;
}

const said = new Set<string>();

/** Prints why `what` (a run's engine 'compiled' by default) runs on TF.js, once per process and reason. */
export function sayFallback(reason: string, what = "engine 'compiled'"): void {
  const line = `sprig: ${what} falls back to TF.js: ${reason}\n`;
  if (said.has(line)) return;
  said.add(line);
  process.stderr.write(line);
}

/** ParamSpecs by hand, for sparsity tests that need layer shapes without building a model. */
import type { ParamSpec } from '../src/models/types.js';

export const dense = (name: string, nin: number, nout: number, isOutput = false): ParamSpec => ({
  name,
  shape: [nin, nout],
  kind: 'dense',
  prunable: true,
  isOutput,
  fanIn: nin,
  fanOut: nout,
  usesPerExample: 1,
});

/** A kh×kw conv; `uses` is its output height·width (what FLOPs count per example). */
export const conv = (
  name: string,
  kh: number,
  kw: number,
  cin: number,
  cout: number,
  uses: number,
): ParamSpec => ({
  name,
  shape: [kh, kw, cin, cout],
  kind: 'conv',
  prunable: true,
  isOutput: false,
  fanIn: kh * kw * cin,
  fanOut: kh * kw * cout,
  usesPerExample: uses,
});

export const bias = (name: string, n: number): ParamSpec => ({
  name,
  shape: [n],
  kind: 'bias',
  prunable: false,
  isOutput: false,
  fanIn: 1,
  fanOut: 1,
  usesPerExample: 1,
});

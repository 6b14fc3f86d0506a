/**
 * The dense baselines of RigL's tables: the dense network itself, and Small-Dense, a narrower dense
 * MLP with about the parameter count of the sparse network.
 */
import type { Model, ParamSpec } from '../models/types.js';
import { activeCount, sizeOf, type LayerDensities } from '../sparsity/index.js';
import { SprigError } from '../util/errors.js';
import { SHAPE_FIELDS, type MethodDef } from './method.js';

/** Dense training: 3 f_D per example per step (f_S = f_D without masks). */
const denseStepFlops: MethodDef['stepFlops'] = (x) => 3 * x.fS;

export const dense: MethodDef = {
  description: 'the dense network',
  start: 'none',
  fields: ['method', 'multiplier'], // dense at S = 0.9 and 0.95 is one run
  create: () => undefined,
  stepFlops: denseStepFlops,
};

export const smallDense: MethodDef = {
  description: 'a smaller dense network with the parameter count of the sparse one',
  start: 'none',
  fields: SHAPE_FIELDS,
  create: () => undefined,
  stepFlops: denseStepFlops,
  model(reference, densities) {
    const hidden = mlpHidden(reference);
    if (!hidden)
      throw new SprigError(
        `small_dense needs an MLP model (mnist_lenet_300_100 or mlp_*), got '${reference.name}'`,
        'compare against small_dense on an MLP, or leave it out',
      );
    const inputs = reference.inputShape.reduce((a, b) => a * b, 1);
    const target = activeParams(reference.specs, densities);
    return `mlp_${smallDenseWidths(hidden, inputs, reference.numClasses, target).join('_')}`;
  },
};

/**
 * MLP hidden widths for a dense network with about `target` parameters, keeping the proportions of
 * `hidden` (RigL's Small-Dense: same parameter count as the sparse network).
 */
export function smallDenseWidths(
  hidden: number[],
  inputs: number,
  classes: number,
  target: number,
): number[] {
  const count = (h: number[]) => {
    let n = 0;
    let fanIn = inputs;
    for (const width of [...h, classes]) {
      n += fanIn * width + width;
      fanIn = width;
    }
    return n;
  };
  let best = hidden.map(() => 1);
  for (let h1 = 1; h1 <= hidden[0]!; h1++) {
    const h = hidden.map((x) => Math.max(1, Math.round((x * h1) / hidden[0]!)));
    if (Math.abs(count(h) - target) < Math.abs(count(best) - target)) best = h;
  }
  return best;
}

function mlpHidden(model: Model): number[] | undefined {
  if (model.name !== 'mnist_lenet_300_100' && !/^mlp(_\d+)*$/.test(model.name)) return undefined;
  return model.specs.filter((s) => s.kind === 'dense' && !s.isOutput).map((s) => s.shape[1]!);
}

function activeParams(specs: readonly ParamSpec[], densities: LayerDensities): number {
  return specs.reduce(
    (a, s) => a + (s.prunable ? activeCount(sizeOf(s.shape), densities.get(s.name) ?? 1) : sizeOf(s.shape)),
    0,
  );
}

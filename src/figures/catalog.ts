/**
 * Every kind of figure the dashboard and `sprig plot` draw, named by the stem of its id (an id adds
 * the run, the model or the metric). The docs' gallery (scripts/figures-docs.mjs) shows one of each,
 * and tests check that every figure drawn is of a kind listed here, so a new kind cannot be missed.
 */

interface KindEntry {
  /** Matches the ids of this kind's figures. */
  match: RegExp;
  /** What it shows, for the gallery's captions. */
  about: string;
}

const K = (match: RegExp, about: string): KindEntry => ({ match, about });

export const FIGURE_KINDS = {
  'dst:accuracy-vs-sparsity': K(
    /^dst:accuracy-vs-sparsity$/,
    'DST: test accuracy against sparsity, one series per method and distribution, ± 1 std over seeds',
  ),
  'dst:accuracy-vs-training-flops': K(
    /^dst:accuracy-vs-training-flops$/,
    "DST: test accuracy against training FLOPs (fraction of dense, log x), each point's sparsity written beside it",
  ),
  'dst:accuracy-vs-inference-flops': K(
    /^dst:accuracy-vs-inference-flops$/,
    'DST: test accuracy against inference FLOPs (fraction of dense, log x)',
  ),
  'dst:layer-densities': K(/^dst:layer-densities$/, 'DST: per-layer density of each distribution'),
  'dst:mask-churn': K(
    /^dst:mask-churn$/,
    'DST: the share of active weights dropped and regrown at each mask update',
  ),
  'dst:accuracy-over-training': K(
    /^dst:accuracy-over-training$/,
    'DST: test accuracy over training, mean ± std over seeds per method',
  ),
  'lottery:accuracy-vs-remaining': K(
    /^lottery:accuracy-vs-remaining:/,
    'Lottery: test accuracy against remaining weights (log x), IMP and each branch, ± 1 std over replicates',
  ),
  'lottery:early-stop': K(
    /^lottery:early-stop:/,
    'Lottery: the iteration of minimum test loss against remaining weights',
  ),
  'bootstrap:worlds': K(
    /^bootstrap:[^:]+:(?!ranking$)[^:]+$/,
    'Deep Bootstrap: Real and Ideal World test error of one model, the gap shaded by its sign, the stopping time',
  ),
  'bootstrap:ranking': K(/^bootstrap:[^:]+:ranking$/, 'Deep Bootstrap: the models ranked in both worlds'),
  'gradflow:grad-norm': K(
    /^gradflow:[^:]+:grad-norm$/,
    "Gradient flow: every run's gradient norm (log y), GMP's pruning and RigL's update windows marked",
  ),
  'gradflow:interpolation': K(
    /^gradflow:[^:]+:interpolation$/,
    'Gradient flow: test loss and error along the line to the pruning solution, each on its own axis',
  ),
  'gradflow:disagreement': K(
    /^gradflow:[^:]+:disagreement$/,
    'Gradient flow: prediction disagreement between every pair of runs',
  ),
  'gradflow:distances': K(
    /^gradflow:[^:]+:distances$/,
    'Gradient flow: distances and barriers to the pruning solution, as a table',
  ),
  'runs:accuracy-over-training': K(
    /^runs:accuracy-over-training$/,
    'Any runs compared: test accuracy over training',
  ),
  metrics: K(/^metrics:/, "One run's training curves from the index (here: test and train loss)"),
  metric: K(
    /^(metric|compare):/,
    'Named metrics over steps (`sprig plot --metric`, the compare view): accuracy in percent, the loss on its own axis',
  ),
  'sweep:grid': K(
    /^sweep:[^:]+:[^:]+$/,
    "A sweep's grid: the ranking metric against each swept axis, mean ± std over the finished runs (`sprig plot --sweep`, the sweep page)",
  ),
  file: K(
    /^[\w.-]+\.json:/,
    "Curves found by shape in a run's JSON files (here: a gradient-flow run's per-layer gradient norms)",
  ),
} as const satisfies Record<string, KindEntry>;

export type FigureKindName = keyof typeof FIGURE_KINDS;

export const FIGURE_KIND_NAMES = Object.keys(FIGURE_KINDS) as FigureKindName[];

/** The kind of the figure with this id; undefined for an id no kind matches. */
export function figureKindOf(id: string): FigureKindName | undefined {
  return FIGURE_KIND_NAMES.find((k) => FIGURE_KINDS[k].match.test(id));
}

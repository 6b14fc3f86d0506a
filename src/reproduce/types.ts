/** What a paper's reproduction is: its claim, how it runs through the experiment functions, what it reports. */
import type { LineFigure } from '../figures/types.js';
import type { KindName } from '../experiments/kinds.js';
import type { RunStore } from '../store/store.js';
import type { Callbacks } from '../training/loop.js';

export const PAPER_NAMES = [
  'lth',
  'kd-ticket',
  'generalized-lth',
  'rigl',
  'deep-bootstrap',
  'gradient-flow',
] as const;
export type PaperName = (typeof PAPER_NAMES)[number];

export interface ReproContext {
  store: RunStore;
  /** Training seeds, as given (`--seeds 3` is 0, 1, 2; `--seeds 7,8,9` is those). */
  seeds: number[];
  /** Tiny settings on synthetic data: the plumbing, for tests; nothing to conclude from. */
  quick: boolean;
  log: (line: string) => void;
  callbacks?: (label: string) => Callbacks;
}

/** One quantity measured over the seeds. */
export interface Measure {
  values: number[];
  mean: number;
  std: number;
}

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
}

export type Verdict = 'holds' | 'fails' | 'not shown';

/** One part of the claim, tested over seeds (claims.ts): the paired differences and their 95 % interval. */
export interface Check {
  what: string;
  /** Per-seed differences (or a per-seed statistic), in the order of the seeds. */
  diffs: number[];
  mean: number;
  /** 95 % Student-t interval of the mean; unbounded (JSON null) for one seed. */
  interval: [number, number];
  /** The claim: the mean is above this. */
  margin: number;
  /** Accuracies or errors: printed in percentage points. */
  pp: boolean;
  verdict: Verdict;
  /** Why the verdict cannot test the claim although the interval might (e.g. an arm's training collapsed). */
  caveat?: string;
}

/**
 * One trained arm of a reproduction on one seed: the stored experiment it is part of, the `sprig`
 * command that recreates it (same run id), and the fingerprint of its mask where arms share masks.
 */
export interface Arm {
  arm: string;
  seed: number;
  /** The stored experiment (the command's run id). */
  runId: string;
  /** Which experiment kind and hyperparameter groups the command recreates. */
  kind: KindName;
  groups: Record<string, unknown>;
  /** SHA-256 of the serialised masks of the arm's first training (equal hashes: a shared mask). */
  maskSha256?: string;
}

export interface Outcome {
  /** Model, data, schedule, sparsities: what ran, in one paragraph. */
  setting: string;
  tables: Table[];
  figures: { name: string; chart: LineFigure }[];
  checks: Check[];
  /** Every arm on every seed, with the experiment that holds it. */
  arms: Arm[];
  /** Run ids of the stored experiments this reproduction read or trained. */
  runIds: string[];
  /** Where sprig's setting departs from the paper's, beyond docs/fidelity.md. */
  notes: string[];
}

export interface Paper {
  name: PaperName;
  title: string;
  /** The paper's claim in one sentence (papers.md). */
  claim: string;
  run(ctx: ReproContext): Outcome;
}

export interface Report extends Outcome {
  paper: PaperName;
  title: string;
  claim: string;
  seeds: number[];
  quick: boolean;
  /** fails if a check fails, holds if every check holds, else not shown. */
  verdict: Verdict;
  wallSeconds: number;
  command: string;
  /** Per arm and seed, the `sprig` command that recreates it (same run id). */
  commands: { arm: string; seed: number; runId: string; command: string }[];
}

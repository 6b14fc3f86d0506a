/** What a paper's reproduction is: its claim, how it runs through the experiment functions, what it reports. */
import type { LineFigure } from '../figures/types.js';
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
  /** Training seeds (replicates) 0 … n−1. */
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

/** A check of one part of the claim, stated with the numbers it compared. */
export interface Check {
  what: string;
  holds: boolean;
}

export interface Outcome {
  /** Model, data, schedule, sparsities: what ran, in one paragraph. */
  setting: string;
  tables: Table[];
  figures: { name: string; chart: LineFigure }[];
  checks: Check[];
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
  /** True when every check holds. */
  holds: boolean;
  wallSeconds: number;
  command: string;
}

/** The papers `sprig reproduce` knows, by name. */
import { unknownName } from '../util/errors.js';
import { deepBootstrap } from './deep-bootstrap.js';
import { generalizedLth } from './generalized-lth.js';
import { gradientFlow } from './gradient-flow.js';
import { kdTicket } from './kd-ticket.js';
import { lth } from './lth.js';
import { rigl } from './rigl.js';
import { commandFor, commandText } from '../experiments/command.js';
import { overall } from './claims.js';
import { PAPER_NAMES, type Paper, type PaperName, type ReproContext, type Report } from './types.js';

export const PAPERS = {
  lth,
  'kd-ticket': kdTicket,
  'generalized-lth': generalizedLth,
  rigl,
  'deep-bootstrap': deepBootstrap,
  'gradient-flow': gradientFlow,
} satisfies Record<PaperName, Paper>;

export function paperOf(name: string): Paper {
  if (!(PAPER_NAMES as readonly string[]).includes(name)) throw unknownName('paper', name, PAPER_NAMES);
  return PAPERS[name as PaperName];
}

/**
 * Runs a paper's reproduction (every training through the store: cached, resumable) into a Report,
 * with each arm's `sprig` command (the kind's flags off its recipe: the same run id).
 */
export function reproduce(paper: Paper, ctx: ReproContext, command: string): Report {
  const t0 = performance.now();
  const o = paper.run(ctx);
  return {
    paper: paper.name,
    title: paper.title,
    claim: paper.claim,
    seeds: ctx.seeds,
    quick: ctx.quick,
    verdict: overall(o.checks),
    wallSeconds: (performance.now() - t0) / 1000,
    command,
    commands: o.arms.map((a) => ({
      arm: a.arm,
      seed: a.seed,
      runId: a.runId,
      command: commandText(commandFor(a.kind, a.groups)),
    })),
    ...o,
  };
}

export { PAPER_NAMES };

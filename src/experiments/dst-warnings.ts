/**
 * What a DST run's plan makes pointless: a drop-and-grow run whose training ends before its first
 * mask update (ΔT past the last step or past T_end) trains exactly as static sparse training does,
 * so a comparison of methods at that length compares nothing. Said before training and kept in the
 * result, so sweeps (which run the command in a child) show it too.
 */
import type { GmpPlan } from '../algorithms/index.js';
import type { DropSchedule } from '../sparsity/index.js';

/** The parts of a DstPlan (dst.ts) the warnings read. */
export interface PlannedUpdates {
  method: string;
  schedule?: DropSchedule;
  gmp?: GmpPlan;
  totalSteps: number;
}

export function dstWarnings(plan: PlannedUpdates): string[] {
  const out: string[] = [];
  const s = plan.schedule;
  if (s) {
    const first = (s.begin ?? 0) + s.deltaT;
    const last = Math.min(s.tEnd, plan.totalSteps);
    if (first > last)
      out.push(
        `${plan.method} never updates its mask: its first update is at step ${first} (ΔT = ${s.deltaT}) but ` +
          `updates stop at step ${last} (${s.tEnd < plan.totalSteps ? 'T_end' : 'the last step'}), so it trains as static sparse; ` +
          `train longer or pass a smaller --delta-t (e.g. ${Math.max(1, Math.floor(last / 4))})`,
      );
  }
  const g = plan.gmp;
  if (g && Math.min(g.begin, g.end) >= plan.totalSteps)
    out.push(
      `${plan.method} never prunes: its first pruning step ${g.begin} is past the last step ${plan.totalSteps}; train longer or start GMP earlier (--gmp-begin)`,
    );
  return out;
}

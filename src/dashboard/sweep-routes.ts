/**
 * The dashboard's sweep pages (read-only): the status a sweep's submitter last saved in the index
 * (sweep/state.ts), with runs that finished since then read from the index, recomputed by the same
 * `summarise` as `sprig sweep --status`, and the sweep's grid as figures.
 *   GET /api/sweeps        every sweep with a saved status: name, kind, counts, best run
 *   GET /api/sweeps/:id    one sweep (by id or name): counts, runs, best run, figures
 * Cancelling is the CLI's (`sprig sweep FILE --cancel --queue URL`): this page changes nothing.
 */
import type { FastifyInstance } from 'fastify';
import { summarise, type RunState, type SweepSummary } from '../sweep/state.js';
import { sweepFigures } from '../figures/sweep.js';
import type { StoreReader } from './reader.js';

const ACTIVE = new Set<RunState['state']>(['queued', 'running', 'stalled']);

/** The saved status brought up to date with the index: runs that finished since the last save. */
export function currentStatus(reader: StoreReader, saved: SweepSummary): SweepSummary {
  const metricOf = (r: RunState) => {
    const v = reader.get(r.runId)?.result?.[saved.metric];
    return typeof v === 'number' ? v : saved.metric === 'testAccuracy' ? r.testAccuracy : undefined;
  };
  const runs = saved.runs.map((r): RunState => {
    if (!ACTIVE.has(r.state)) return r;
    const row = reader.get(r.runId);
    if (row?.status !== 'finished') return r;
    const acc = row.result?.testAccuracy;
    return {
      ...r,
      state: 'finished',
      progress: undefined,
      testAccuracy: typeof acc === 'number' ? acc : undefined,
    };
  });
  return summarise({ id: saved.sweepId, name: saved.name, kind: saved.kind }, runs, {
    metric: saved.metric,
    metricOf,
  });
}

/** A sweep's status as last saved, brought up to date (by sweep id or name); undefined when none was saved. */
export function findSweepStatus(
  reader: StoreReader,
  id: string,
): (SweepSummary & { updatedAt: string }) | undefined {
  const found = reader
    .sweepStatuses()
    .find((s) => s.sweepId === id || (s.status as SweepSummary).name === id);
  return found && { ...currentStatus(reader, found.status as SweepSummary), updatedAt: found.updatedAt };
}

export function sweepRoutes(app: FastifyInstance, reader: StoreReader): void {
  app.get('/api/sweeps', async () => ({
    sweeps: reader.sweepStatuses().map(({ status, updatedAt }) => {
      const s = currentStatus(reader, status as SweepSummary);
      return { sweepId: s.sweepId, name: s.name, kind: s.kind, counts: s.counts, best: s.best, updatedAt };
    }),
  }));
  app.get('/api/sweeps/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    const s = findSweepStatus(reader, id);
    if (!s)
      return reply.code(404).send({
        error: `no sweep '${id}' with a status in ${reader.root}`,
        fix: 'run `sprig sweep FILE` (or `sprig sweep FILE --status`) with this --root; GET /api/sweeps lists the sweeps',
      });
    return { ...s, figures: sweepFigures(s) };
  });
}

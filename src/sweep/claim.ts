/**
 * A job checks with the sweep before it trains: it trains only under its claim (ledger.ts), taken
 * atomically. A job that BullMQ handed over while its first worker still trains it (the first
 * worker's lock was lost to a Redis outage or restart) waits for that worker's outcome instead of
 * training again. A claim is taken over only when its holder's heartbeat has been missing for two
 * heartbeat lifetimes, long after a live worker would have beaten again on a Redis that came back.
 */
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import * as ledger from './ledger.js';
import type { JobOutcome } from './job.js';

export interface ClaimContext {
  redis: Redis;
  /** This worker's identity: host:pid. */
  worker: string;
  /** Lifetime of a heartbeat key (ms); a holder silent for twice this is taken for dead. */
  aliveMs: number;
  log: (line: string) => void;
  /** Aborted when the worker is told to stop: waiting or training ends at once. */
  stopping: AbortSignal;
}

/** Thrown when training must end because the claim is no longer this worker's. */
export class ClaimLost extends Error {}

export type Claimed = { out: JobOutcome; trainedBy: 'me' | string };

/**
 * Returns the job's outcome: a published one, another live worker's when it comes, or this
 * worker's from `train`, which runs under the claim and is aborted if the claim passes to another.
 */
export async function trainOnce(
  c: ClaimContext,
  jobId: string,
  runId: string,
  train: (abort: AbortSignal) => Promise<JobOutcome>,
): Promise<Claimed> {
  const earlier = await waitForClaim(c, jobId, runId);
  if (earlier) return { out: earlier, trainedBy: earlier.host };
  const lost = new AbortController();
  const onStop = () => lost.abort(c.stopping.reason);
  c.stopping.addEventListener('abort', onStop);
  // Between heartbeats, the claim is checked: put back after Redis lost it, given up if taken over.
  const guard = setInterval(() => {
    void keepClaim(c, jobId).then(
      (other) => {
        if (other && !lost.signal.aborted) lost.abort(new ClaimLost(`${runId} was taken over by ${other}`));
      },
      () => {}, // Redis unreachable: nothing to learn now; the next check tries again
    );
  }, c.aliveMs / 4);
  try {
    const out = await train(lost.signal);
    await ledger.publish(c.redis, jobId, out);
    return { out, trainedBy: 'me' };
  } finally {
    clearInterval(guard);
    c.stopping.removeEventListener('abort', onStop);
    await ledger.release(c.redis, jobId, c.worker);
  }
}

/** Null while the claim is this worker's (re-taken if Redis lost it); else its new holder. */
async function keepClaim(c: ClaimContext, jobId: string): Promise<string | null> {
  const h = await ledger.holder(c.redis, jobId);
  if (h === c.worker) return null;
  if (h === null) return ledger.claim(c.redis, jobId, c.worker);
  return h;
}

/** Resolves to undefined once this worker holds the claim, or to the outcome another worker published. */
async function waitForClaim(c: ClaimContext, jobId: string, runId: string): Promise<JobOutcome | undefined> {
  let silentSince: number | undefined;
  let said = '';
  for (;;) {
    if (c.stopping.aborted) throw c.stopping.reason;
    const done = await ledger.outcome(c.redis, jobId);
    if (done) return done;
    const h = await ledger.claim(c.redis, jobId, c.worker);
    if (h === null || h === c.worker) return undefined;
    if (await ledger.isAlive(c.redis, h)) {
      silentSince = undefined;
      if (said !== h)
        c.log(`${runId} is being trained by ${h}: waiting for its result, not training it again`);
      said = h;
    } else {
      silentSince ??= Date.now();
      if (Date.now() - silentSince >= 2 * c.aliveMs && (await ledger.takeOver(c.redis, jobId, h, c.worker))) {
        c.log(
          `${runId}: its worker ${h} has been silent ${((Date.now() - silentSince) / 1000).toFixed(0)} s; taking it over`,
        );
        return undefined;
      }
    }
    await sleep(Math.min(1000, c.aliveMs / 4), undefined, { signal: c.stopping }).catch(() => {});
  }
}

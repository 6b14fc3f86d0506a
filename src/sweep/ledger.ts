/**
 * The sweep's ledger in Redis, beside BullMQ's own keys: who trains a job (its claim), which
 * workers are alive (a heartbeat key that expires), and each finished job's outcome. BullMQ's lock
 * says who may *complete* a job; it can be lost (an outage longer than the lock, a Redis restart)
 * while the worker keeps training, and then BullMQ hands the job to another worker. The claim is
 * what stops that second worker from training the run again: it waits for the first one's outcome.
 */
import type { Redis } from 'ioredis';
import type { JobOutcome } from './job.js';

const P = 'sprig:';
export const keys = {
  claim: (jobId: string) => `${P}claim:${jobId}`,
  done: (jobId: string) => `${P}done:${jobId}`,
  alive: (worker: string) => `${P}alive:${worker}`,
  cancelled: (sweepId: string) => `${P}cancelled:${sweepId}`,
};

/** A new client of its own (the claim's commands must not queue behind BullMQ's blocking reads). */
export async function ledgerClient(url: string, onError: (e: Error) => void): Promise<Redis> {
  // loaded here, not at startup, as bullmq is (queue.ts)
  const { Redis } = await import('ioredis');
  // null: a command waits for Redis to come back instead of failing after 20 retries
  const client = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  client.on('error', onError);
  await client.connect();
  return client;
}

/** Takes the claim if nobody holds it; otherwise returns the holder. */
export async function claim(r: Redis, jobId: string, worker: string): Promise<string | null> {
  const ok = await r.set(keys.claim(jobId), worker, 'NX');
  return ok ? null : ((await r.get(keys.claim(jobId))) ?? '');
}

/** Replaces `from`'s claim by `to`'s, atomically: false when the claim changed meanwhile. */
export async function takeOver(r: Redis, jobId: string, from: string, to: string): Promise<boolean> {
  const swapped = await r.eval(
    "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]); return 1 end; return 0",
    1,
    keys.claim(jobId),
    from,
    to,
  );
  return swapped === 1;
}

/** Drops this worker's claim (never another's). */
export async function release(r: Redis, jobId: string, worker: string): Promise<void> {
  await r.eval(
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end; return 0",
    1,
    keys.claim(jobId),
    worker,
  );
}

export async function holder(r: Redis, jobId: string): Promise<string | null> {
  return r.get(keys.claim(jobId));
}

/** A worker is alive while its heartbeat key exists; its value is the key's lifetime in ms. */
export async function beat(r: Redis, worker: string, ttlMs: number): Promise<void> {
  await r.set(keys.alive(worker), String(ttlMs), 'PX', ttlMs);
}

export async function isAlive(r: Redis, worker: string): Promise<boolean> {
  return (await r.exists(keys.alive(worker))) === 1;
}

/** The longest heartbeat lifetime among live workers (how long a silent worker may still be alive). */
export async function longestBeat(r: Redis): Promise<number | undefined> {
  const found: number[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await r.scan(cursor, 'MATCH', keys.alive('*'), 'COUNT', 200);
    cursor = next;
    if (batch.length) found.push(...(await r.mget(...batch)).map(Number).filter((n) => n > 0));
  } while (cursor !== '0');
  return found.length ? Math.max(...found) : undefined;
}

export async function publish(r: Redis, jobId: string, out: JobOutcome): Promise<void> {
  await r.set(keys.done(jobId), JSON.stringify(out));
}

export async function outcome(r: Redis, jobId: string): Promise<JobOutcome | undefined> {
  const text = await r.get(keys.done(jobId));
  return text ? (JSON.parse(text) as JobOutcome) : undefined;
}

/** Publishes an outcome only where it is missing (after Redis lost its data). */
export async function republish(r: Redis, jobId: string, out: JobOutcome): Promise<void> {
  await r.set(keys.done(jobId), JSON.stringify(out), 'NX');
}

/**
 * How far a running run has got, for the dashboard: its step of the planned total and its own rate
 * of steps, written to the run directory every few seconds while it trains (removed when it
 * finishes). A reader turns it into an ETA. Logging only: nothing here changes what is trained.
 */
import type { Callbacks } from '../training/loop.js';
import { writeJson } from '../store/artifacts.js';

/** progress.json: what the owner last wrote. */
export interface RunProgress {
  step: number;
  totalSteps: number;
  itersPerEpoch: number;
  /** Where this process started (a resumed run starts at its checkpoint) and when. */
  startStep: number;
  startedAt: string;
  updatedAt: string;
  /** Steps a second since this process started: the run's own rate on this machine now. */
  stepsPerSecond: number;
}

/** The progress as the page shows it: the file, with the epoch, fraction and ETA worked out. */
export interface ProgressView extends RunProgress {
  epoch: number;
  epochs: number;
  fraction: number;
  /** Seconds left at the run's own rate, counted from now; undefined before a rate is known. */
  etaSeconds?: number;
}

/** At most one write in this many milliseconds (and the first and last step always). */
const EVERY_MS = 2000;

/** Callbacks that keep `path` up to date while the run trains. */
export function progressRecorder(
  path: string,
  plan: { totalSteps: number; itersPerEpoch: number },
  now: () => number = Date.now,
): Callbacks {
  let start: { step: number; at: number } | undefined;
  let last = -Infinity;
  return {
    onStep(step, totalSteps) {
      const t = now();
      // The first step seen is where this process began: step − 1 steps were done before it.
      start ??= { step: step - 1, at: t };
      if (last === Infinity || (t - last < EVERY_MS && step !== 1 && step !== totalSteps)) return;
      last = t;
      const seconds = (t - start.at) / 1000;
      const p: RunProgress = {
        step,
        totalSteps,
        itersPerEpoch: plan.itersPerEpoch,
        startStep: start.step,
        startedAt: new Date(start.at).toISOString(),
        updatedAt: new Date(t).toISOString(),
        stepsPerSecond: seconds > 0 ? (step - start.step) / seconds : 0,
      };
      try {
        writeJson(path, p);
      } catch {
        // Progress is for the page only: a full or read-only disk fails the run where it writes
        // what matters (metrics, checkpoints), not here; stop trying.
        last = Infinity;
      }
    },
  };
}

/** What the page shows of a progress file at time `now` (ms); undefined when it is not one. */
export function progressView(doc: unknown, now: number): ProgressView | undefined {
  const p = doc as Partial<RunProgress> | undefined;
  if (typeof p?.step !== 'number' || typeof p.totalSteps !== 'number' || !(p.totalSteps > 0))
    return undefined;
  const full = p as RunProgress;
  const perEpoch = full.itersPerEpoch > 0 ? full.itersPerEpoch : full.totalSteps;
  const left = Math.max(0, full.totalSteps - full.step);
  // The file is a few seconds old: the time since it was written is already spent.
  const since = Math.max(0, (now - Date.parse(full.updatedAt)) / 1000);
  return {
    ...full,
    epoch: full.step / perEpoch,
    epochs: full.totalSteps / perEpoch,
    fraction: full.step / full.totalSteps,
    etaSeconds: full.stepsPerSecond > 0 ? Math.max(0, left / full.stepsPerSecond - since) : undefined,
  };
}

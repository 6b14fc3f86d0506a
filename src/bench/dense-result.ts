/** What `sprig bench` measures: its result, one row per network and the epoch comparison. */
import type { PeakFlops } from '../engine/index.js';
import type { BenchNet } from './nets.js';

export interface TrainMeasurement {
  examplesPerS: number;
  medianStepS: number;
  maxRssMB: number;
  /** Dense training FLOPs per second (3× the forward FLOPs per example, RigL's count); sprig only. */
  gflopsPerS?: number;
}
export type TorchMeasurement = TrainMeasurement & { blas?: string };
export interface BenchRow {
  net: BenchNet;
  batch: number;
  /** Timed steps and warm-up steps per process (both engines). */
  steps: number;
  warmup: number;
  sprig: { examplesPerS: number; gflopsPerS: number; maxRssMB: number; runs: TrainMeasurement[] };
  pytorch: { examplesPerS: number; maxRssMB: number; runs: TrainMeasurement[]; blas?: string };
  /** sprig / PyTorch training examples per second (medians over repetitions). */
  ratio: number;
  /** sprig / PyTorch peak RSS (max over repetitions). */
  rssRatio: number;
}
export interface EpochRun {
  loadS: number;
  trainEpochS: number;
  testAccuracy: number;
  maxRssMB: number;
}
export interface EpochRow {
  sprig: EpochRun;
  pytorch: EpochRun;
  /** Interleaved repetitions; each engine's row is its median repetition by load + train time. */
  reps: number;
  /** PyTorch's (load + train) seconds / sprig's: > 1 means sprig is faster. */
  speedup: number;
}
export interface BenchResult {
  date: string;
  machine: { cpus: number; node: string };
  engine: { engine: string; reason?: string; kernels: number };
  settings: { reps: number; models: string };
  /** 1-minute load average before each measurement: min and max over the run. */
  load: { min: number; max: number };
  /** The fp32 peak of the engine's threads, measured before and after the runs (the higher). */
  peak?: PeakFlops;
  rows: BenchRow[];
  epoch?: EpochRow;
  file?: string;
}

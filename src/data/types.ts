import type { Rng } from '../util/rng.js';

/** One split of a dataset, held in memory: images NHWC float32, already normalised. */
export interface Split {
  /** n × h × w × c values, row-major NHWC. */
  x: Float32Array;
  /** n labels in [0, numClasses). */
  y: Int32Array;
  n: number;
}

/** Per-channel statistics the raw pixels (scaled to [0, 1]) were standardised with: x' = (x − mean) / std. */
export interface Normalisation {
  mean: number[];
  std: number[];
}

export interface Dataset {
  name: string;
  /** [height, width, channels] */
  inputShape: [number, number, number];
  numClasses: number;
  train: Split;
  test: Split;
  /** Held out from train when a validation split is asked for. */
  validation?: Split;
  /** Whether training batches get CIFAR augmentation (random crop with 4-px padding, flip). */
  augment: boolean;
  /** How the images were normalised (absent for synthetic data, which is generated already standardised). */
  normalisation?: Normalisation;
  /**
   * Unlimited fresh samples from the data distribution (Deep Bootstrap "Ideal World"); only datasets
   * with a generator (the synthetic teacher task) have it.
   */
  freshSamples?: (n: number, rng: Rng) => Batch;
}

export interface Batch {
  x: Float32Array;
  y: Int32Array;
  n: number;
  /** Which examples of the source split these are (set by gather/BatchStream), for per-example statistics. */
  indices?: Int32Array;
}

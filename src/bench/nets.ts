/**
 * The benchmark networks, shared by `sprig bench` (dense, against PyTorch) and `sprig bench --sparse`:
 * torch_reference.py's names, sprig's registry names, input shapes and training batch sizes (the
 * peer's own batch for each network, since its `train` mode takes no --batch).
 */
export interface BenchNetSpec {
  model: string;
  shape: [number, number, number];
  batch: number;
  /** `sprig bench`'s default warm-up and timed steps (the same for both engines). */
  warmup: number;
  steps: number;
}

/**
 * Both engines are timed in steady state: V8 keeps optimising sprig's per-step JavaScript for a
 * few hundred steps (LeNet-300-100: 1.6 ms per step over the first 30, 1.0 ms over steps 30-90,
 * 0.7 ms from step 300 on), so the small networks, whose steps take about a millisecond, warm up
 * longer and are timed over more steps. VGG-16's step takes about a second: few steps suffice.
 */
export const BENCH_NETS = {
  lenet300: { model: 'mnist_lenet_300_100', shape: [28, 28, 1], batch: 60, warmup: 500, steps: 500 },
  lenet5: { model: 'mnist_lenet5', shape: [28, 28, 1], batch: 128, warmup: 200, steps: 200 },
  conv4: { model: 'cifar_conv4', shape: [32, 32, 3], batch: 60, warmup: 30, steps: 60 },
  resnet20: { model: 'cifar_resnet_20', shape: [32, 32, 3], batch: 128, warmup: 30, steps: 60 },
  vgg16: { model: 'cifar_vgg_16', shape: [32, 32, 3], batch: 128, warmup: 5, steps: 15 },
} as const satisfies Record<string, BenchNetSpec>;
export type BenchNet = keyof typeof BENCH_NETS;

/** What `sprig bench` measures without --nets (VGG-16 only on request: its run takes minutes). */
export const DENSE_DEFAULT_NETS: BenchNet[] = ['lenet300', 'lenet5', 'conv4', 'resnet20'];

export const isBenchNet = (n: string): n is BenchNet => n in BENCH_NETS;

#!/usr/bin/env bash
# The measurements of issue 6 (science instruments), as they were run. Each command stores its runs
# under $ROOT and is cached: re-running prints the stored result without training again.
# Needs the native engine for reasonable times (`npx tsx src/cli/main.ts info`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${ROOT:-runs}
OUT=${OUT:-science}
mkdir -p "$OUT"
sprig() { npx tsx src/cli/main.ts "$@"; }

# Deep Bootstrap on Fashion-MNIST: Real World n = 5,000 vs an Ideal World pool of the other 55,000
# training images, LeNet-300-100 (MLP) and LeNet-5 (CNN). The paper's recipe (SGD lr 0.1, no momentum,
# cosine, batch 128); 10 Real World epochs = 400 iterations (the pool allows at most 429 at batch 128).
sprig bootstrap --n 5000 --models mnist_lenet_300_100,mnist_lenet5 --root "$ROOT" --json > "$OUT/bootstrap-fashion-n5000.json"

# Gradient flow: LeNet-5 (no batch norm) at 95 % sparsity (uniform over every layer) on Fashion-MNIST,
# rigl_tf2's LeNet-5 recipe (SGD momentum 0.9, lr 0.05 cosine, wd 5e-4, batch 128) shortened to 3 epochs
# (1,383 iterations) for this 2-core machine; GMP from 25 % to 60 % of training every 100 steps.
sprig gradflow --model mnist_lenet5 --sparsity 0.95 --train-steps 3ep --runs scratch,scratch+,rigl,rigl+,lottery,pruned --root "$ROOT" --json > "$OUT/gradflow-lenet5-s95.json"

# Deep Bootstrap again, long enough for the Real World to reach its stopping time (train error < 1 %):
# 30 Real World epochs = 1,200 iterations, which the 55,000-sample pool cannot supply without re-use,
# so the Ideal World re-uses its pool (about 2.8 passes; logged) — an approximation of the Ideal World.
sprig bootstrap --n 5000 --models mnist_lenet_300_100,mnist_lenet5 --train-steps 30ep --log-every 2ep --allow-repeats --root "$ROOT" --json > "$OUT/bootstrap-fashion-n5000-30ep-repeats.json"

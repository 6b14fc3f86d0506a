#!/usr/bin/env bash
# Issue 5 "Done when" measurements: every method with the same step budget, mean ± std over seeds,
# with FLOPs. Runs are stored and cached in $ROOT, so re-running only trains what is missing.
#   EPOCHS=10 SEEDS=0,1,2 scripts/dst-measure.sh            # the full protocol
#   EPOCHS=1 PARTS=lenet300 scripts/dst-measure.sh          # what fits a busy 2-core machine
# Training recipe: the flagship's (SGD momentum 0.9, lr 0.05, wd 5e-4, cosine, batch 128);
# DST defaults: ΔT = 100, α = 0.3, cosine decay, T_end = 75 % of training; GMP from 10 % to 75 %.
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${EPOCHS:-10}
SEEDS=${SEEDS:-0,1,2}
ROOT=${ROOT:-runs}
OUT=${OUT:-bench/results/dst}
PARTS=${PARTS:-lenet300 lenet5}
mkdir -p "$OUT"
sprig() { npx tsx src/cli/main.ts "$@"; }
common=(--dataset fashion_mnist --train-steps "${EPOCHS}ep" --seeds "$SEEDS" --root "$ROOT" --quiet)

for part in $PARTS; do
  case $part in
    lenet300)
      # LeNet-300-100, ERK (the overall sparsity is exactly S), all methods.
      for s in 0.9 0.95; do
        sprig dst "${common[@]}" --model mnist_lenet_300_100 --sparsity "$s" --distribution erk \
          --methods dense,small_dense,static,snip,set,snfs,rigl,gmp --json >"$OUT/lenet300_s${s}_e${EPOCHS}.json"
        sprig dst "${common[@]}" --model mnist_lenet_300_100 --sparsity "$s" --distribution erk \
          --methods dense,small_dense,static,snip,set,snfs,rigl,gmp
      done
      ;;
    lenet5)
      # LeNet-5: ERK against uniform (first layer dense), static and RigL.
      for s in 0.9 0.95; do
        for d in erk uniform; do
          sprig dst "${common[@]}" --model mnist_lenet5 --sparsity "$s" --distribution "$d" \
            --methods static,rigl --json >"$OUT/lenet5_${d}_s${s}_e${EPOCHS}.json"
          sprig dst "${common[@]}" --model mnist_lenet5 --sparsity "$s" --distribution "$d" --methods static,rigl
        done
      done
      ;;
  esac
done

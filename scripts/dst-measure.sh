#!/usr/bin/env bash
# Issue 5 "Done when" measurements, as sweep files: every method with the same step budget, mean ± std
# over seeds 0,1,2, with FLOPs (sweeps/dst-lenet300.yaml, sweeps/dst-lenet5.yaml hold the protocol).
# The runs go through `sprig sweep` (local worker processes; QUEUE=redis://host:port sends them to
# `sprig worker`s instead, which then need ROOT on storage they share with this machine). The
# comparison tables are then read from the stored runs: nothing trains twice.
#   scripts/dst-measure.sh                           # the full protocol (10 epochs)
#   EPOCHS=1 PARTS=lenet300 scripts/dst-measure.sh   # what fits a busy 2-core machine
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${EPOCHS:-10}
ROOT=${ROOT:-runs}
OUT=${OUT:-bench/results/dst}
PARTS=${PARTS:-lenet300 lenet5}
mkdir -p "$OUT"
sprig() { npx tsx src/cli/main.ts "$@"; }
sweep=(--root "$ROOT" --set "trainSteps=${EPOCHS}ep" ${QUEUE:+--queue "$QUEUE"} ${WORKERS:+--workers "$WORKERS"})
common=(--dataset fashion_mnist --train-steps "${EPOCHS}ep" --seeds 0,1,2 --root "$ROOT" --quiet)

for part in $PARTS; do
  sprig sweep "sweeps/dst-$part.yaml" "${sweep[@]}"
  case $part in
    lenet300)
      for s in 0.9 0.95; do
        args=(dst "${common[@]}" --model mnist_lenet_300_100 --sparsity "$s" --distribution erk
              --methods dense,small_dense,static,snip,set,snfs,rigl,gmp)
        sprig "${args[@]}" --json >"$OUT/lenet300_s${s}_e${EPOCHS}.json"
        sprig "${args[@]}"
      done
      ;;
    lenet5)
      for s in 0.9 0.95; do
        for d in erk uniform; do
          args=(dst "${common[@]}" --model mnist_lenet5 --sparsity "$s" --distribution "$d" --methods static,rigl)
          sprig "${args[@]}" --json >"$OUT/lenet5_${d}_s${s}_e${EPOCHS}.json"
          sprig "${args[@]}"
        done
      done
      ;;
  esac
done

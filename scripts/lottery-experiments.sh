#!/usr/bin/env bash
# The lottery-ticket measurements of issue 4 (papers.md §1, §2, §7): LeNet-300-100 on Fashion-MNIST,
# IMP at 20 % per level with the output layer at 10 % (Frankle & Carbin's per-layer rule), rewinding
# to θ0, 3 replicates. Every step reuses the stored runs of the steps before it (same experiment
# hash: levels, replicates and branches are not part of it), so the script can be re-run or resumed.
# Training per level is short (EPOCHS) to fit a 2-core machine; the papers train 40–50k iterations.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${SPRIG_ROOT:-runs}
EPOCHS=${EPOCHS:-1ep}
LEVELS=${LEVELS:-11}           # 21.1 % remaining at level 7; 10.8 % at 10, 8.7 % at 11 (output layer at 10 %)
REPS=${REPS:-3}
BASE=(lottery --root "$ROOT" --model mnist_lenet_300_100 --dataset fashion_mnist --train-steps "$EPOCHS"
      --prune-fraction 0.2 --prune-scope layer --output-fraction 0.1 --rewind init --levels "$LEVELS"
      --kd-rewind 90it)
sprig() { npx tsx src/cli/main.ts "$@"; }

# A. IMP with rewinding to θ0, and the random re-init control.
sprig "${BASE[@]}" --replicates "$REPS" --branches reinit --branch-levels "${REINIT_LEVELS:-4,7,9,10,11}" | tee "$ROOT/lottery-A.txt"
# B. KD ticket (from θ0) and KD + rewinding (from θ_90it), and LR rewinding (its own chain), side by side.
sprig "${BASE[@]}" --replicates "${REPS_B:-1}" --branches kd,kd_rewind,lr_rewind --branch-levels "${B_LEVELS:-4,7,10}" | tee "$ROOT/lottery-B.txt"
# C. Tickets in the DCT basis (8×8 blocks) beside the canonical basis, same retained-coefficient counts.
sprig "${BASE[@]}" --replicates "${REPS_C:-1}" --branches basis:dct --branch-levels "${C_LEVELS:-4,7,10}" | tee "$ROOT/lottery-C.txt"

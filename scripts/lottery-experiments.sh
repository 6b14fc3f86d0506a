#!/usr/bin/env bash
# The lottery-ticket measurements of issue 4 (papers.md §1, §2, §7), as a sweep file:
# sweeps/lottery-lenet300.yaml holds the protocol (LeNet-300-100 on Fashion-MNIST, IMP at 20 % per
# level, output layer at 10 %, rewinding to θ0; A: 3 replicates + random re-init, B: KD, KD +
# rewinding, LR rewinding, C: DCT basis). The sweep trains; then each experiment's summary is printed
# from the stored runs into $ROOT/lottery-{A,B,C}.txt (nothing trains twice). Re-run to resume.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${SPRIG_ROOT:-runs}
EPOCHS=${EPOCHS:-1ep}
LEVELS=${LEVELS:-11}           # 21.1 % remaining at level 7; 10.8 % at 10, 8.7 % at 11 (output layer at 10 %)
FILE=${FILE:-sweeps/lottery-lenet300.yaml}
sprig() { npx tsx src/cli/main.ts "$@"; }
sets=(--set "trainSteps=$EPOCHS" --set "levels=$LEVELS")

sprig sweep "$FILE" --root "$ROOT" "${sets[@]}" ${QUEUE:+--queue "$QUEUE"}
# Each experiment's table, from the stored runs, with the exact command the sweep ran.
i=0
sprig sweep "$FILE" --root "$ROOT" "${sets[@]}" --dry-run --json |
  node -e 'for (const r of JSON.parse(require("fs").readFileSync(0, "utf8")).runs) console.log(r.args.join("\t"))' |
  while IFS=$'\t' read -r -a args; do
    part=$(printf "\\x$(printf %x $((65 + i)))")
    sprig lottery "${args[@]}" --root "$ROOT" </dev/null | tee "$ROOT/lottery-$part.txt"
    i=$((i + 1))
  done

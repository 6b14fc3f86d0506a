#!/usr/bin/env bash
# Whole-run speed of the sparse engine (issue 13's "a whole run" target): LeNet-300-100 on
# Fashion-MNIST, 3 epochs at batch 128, uniform 90 % sparsity on every layer, dense against SET and
# RigL on the sparse engine and masked-dense (--sparse-engine off). Each repetition runs every
# variant once, in a fresh store, interleaved; prints per run the process's wall seconds (start-up,
# data loading, training and evaluation), the run's own (training and evaluation) and test accuracy,
# then the medians and the ratios to dense of both.
# RECIPE=flagship instead runs the flagship's rows (10 epochs, ERK, its defaults): dense, GMP,
# static, SET and RigL on the sparse engine.
# RECIPE=compiled runs dense and SET on the TF.js step and on the compiled one (--engine compiled).
# Usage: REPS=3 EPOCHS=3ep scripts/sparse-whole-run.sh; RECIPE=flagship REPS=3 scripts/sparse-whole-run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
EPOCHS=${EPOCHS:-3ep}
OUT=$(mktemp -d)
common=(dst --dataset fashion_mnist --model mnist_lenet_300_100 --train-steps "$EPOCHS" --batch-size 128
  --sparsity 0.9 --distribution uniform --no-dense-first-layer --quiet --json)
variants=("dense:--method dense" "set:--method set" "rigl:--method rigl"
  "set-masked:--method set --sparse-engine off" "rigl-masked:--method rigl --sparse-engine off")
if [ "${RECIPE:-}" = flagship ]; then
  common=(dst --sparsity 0.9 --quiet --json)
  variants=("dense:--method dense" "gmp:--method gmp" "static:--method static" "set:--method set"
    "rigl:--method rigl")
fi
if [ "${RECIPE:-}" = compiled ]; then
  variants=("dense:--method dense" "dense-compiled:--method dense --engine compiled" "set:--method set"
    "set-compiled:--method set --engine compiled")
fi
for rep in $(seq "$REPS"); do
  for v in "${variants[@]}"; do
    name=${v%%:*}
    read -r -a extra <<<"${v#*:}"
    root="$OUT/$name-$rep"
    t0=$(date +%s.%N)
    # the process's CPU seconds too (user + system): a machine busy with other work inflates them far
    # less than wall time (with SPRIG_THREADS=1 they count no spinning second thread)
    cpu=$( { TIMEFORMAT='%U %S'; time node dist/cli/main.js "${common[@]}" "${extra[@]}" --root "$root" >"$root.json"; } 2>&1 | tail -1 | awk '{print $1 + $2}')
    t1=$(date +%s.%N)
    # test accuracy, and the run's own wall time (training and evaluation, without start-up and data loading)
    read -r acc train < <(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const x=r.result??r;console.log((x.testAccuracy*100).toFixed(2), x.wallSeconds.toFixed(2))' "$root.json")
    echo "$name rep=$rep seconds=$(echo "$t1 - $t0" | bc) cpu=$cpu train=$train acc=$acc" | tee -a "$OUT/times.txt"
  done
done
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
const by = {}, tr = {}, cp = {};
for (const l of lines) {
  const [n] = l.split(" ");
  (by[n] ??= []).push(+l.match(/seconds=([\d.]+)/)[1]);
  (tr[n] ??= []).push(+l.match(/train=([\d.]+)/)[1]);
  (cp[n] ??= []).push(+l.match(/cpu=([\d.]+)/)[1]);
}
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const [dense, denseTrain, denseCpu] = [med(by.dense), med(tr.dense), med(cp.dense)];
for (const n of Object.keys(by))
  console.log(`${n.padEnd(14)} process ${med(by[n]).toFixed(1)} s  dense/this ${(dense / med(by[n])).toFixed(2)}x   training+evaluation ${med(tr[n]).toFixed(1)} s  dense/this ${(denseTrain / med(tr[n])).toFixed(2)}x   process CPU ${med(cp[n]).toFixed(1)} s  dense/this ${(denseCpu / med(cp[n])).toFixed(2)}x`);
' "$OUT/times.txt"

#!/usr/bin/env bash
# Does the native engine train to the same accuracy as the pure-JS engine (SPRIG_NATIVE=0)?
# LeNet-300-100 on Fashion-MNIST (plain SGD 0.1, batch 60, as torch_reference.py's epoch) for EPOCHS
# (default 1ep) with each seed in SEEDS (default 0,1,2), on both engines; prints the test accuracy
# per seed and the mean ± std per engine. The JS engine takes about
# 2.5 minutes per epoch here. Usage: [EPOCHS=1ep] [SEEDS=0,1,2] scripts/native-equivalence.sh
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${EPOCHS:-1ep}
SEEDS=${SEEDS:-0,1,2}
ROOT=${ROOT:-$(mktemp -d)}
CLI=(node --import tsx src/cli/main.ts)
for engine in native js; do
  for seed in ${SEEDS//,/ }; do
    env_native=1
    [ "$engine" = js ] && env_native=0
    acc=$(SPRIG_NATIVE=$env_native "${CLI[@]}" train --model mnist_lenet_300_100 --dataset fashion_mnist \
      --train-steps "$EPOCHS" --batch-size 60 --lr 0.1 --momentum 0 --seed "$seed" \
      --root "$ROOT/$engine" --json --quiet | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(r.testAccuracy, r.wallSeconds)})')
    echo "$engine $seed $acc"
  done
done | node -e '
let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
  const rows = s.trim().split("\n").map((l) => l.split(" "));
  for (const r of rows) console.log(`${r[0].padEnd(6)} seed ${r[1]}: test accuracy ${(100 * r[2]).toFixed(2)}%  (${Number(r[3]).toFixed(1)} s)`);
  for (const e of ["native", "js"]) {
    const a = rows.filter((r) => r[0] === e).map((r) => 100 * r[2]);
    const m = a.reduce((p, q) => p + q, 0) / a.length;
    const sd = Math.sqrt(a.reduce((p, q) => p + (q - m) ** 2, 0) / Math.max(1, a.length - 1));
    console.log(`${e.padEnd(6)} mean ${m.toFixed(2)} ± ${sd.toFixed(2)} % over ${a.length} seeds`);
  }
});'

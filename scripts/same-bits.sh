#!/bin/bash
# Checks that two built checkouts of sprig train to the same bits: the same five small runs (dense
# LeNet-300-100 with SGD, momentum, weight decay and label smoothing; LeNet-5 with Adam; ResNet-20
# with Nesterov; Conv-2; RigL on LeNet-300-100) in each, then their run ids, weights and results
# (timings aside) compared byte for byte, run by run in command order: the ids may differ (a bumped
# recipe version changes every id on purpose), the numbers may not. For refactors that must not
# change any number.
#   scripts/same-bits.sh <old checkout> <new checkout>   (each with dist/ and the addon built)
# Slow on a busy machine (ResNet-20 evaluates the whole Fashion-MNIST test set): ~5-10 min each.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 <old checkout> <new checkout>" >&2; exit 2; }
out=$(mktemp -d)

runs() {
  local root="$2"
  cd "$1"
  export SPRIG_THREADS=2
  local q="--root $root --quiet --json"
  mkdir -p "$root"
  # each command's run id, in order, so old and new runs pair up whatever their ids
  run() { node dist/cli/main.js "$@" | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).runId' >>"$root/ids"; }
  run train $q --dataset synthetic --model mnist_lenet_300_100 --train-steps 30it --batch-size 64 \
    --momentum 0.9 --weight-decay 5e-4 --label-smoothing 0.1
  run train $q --dataset fashion_mnist --subset 256 --model mnist_lenet5 --train-steps 20it --batch-size 32 \
    --optimizer adam --lr 0.001
  run train $q --dataset fashion_mnist --subset 64 --model cifar_resnet_20 --train-steps 4it --batch-size 16 \
    --momentum 0.9 --nesterov
  run train $q --dataset fashion_mnist --subset 128 --model cifar_conv2 --train-steps 10it --batch-size 16
  run dst $q --dataset synthetic --model mnist_lenet_300_100 --method rigl --train-steps 40it --batch-size 64
}

(runs "$1" "$out/old")
(runs "$2" "$out/new")
node - "$out/old" "$out/new" <<'EOF'
const { readFileSync } = require('node:fs');
const [a, b] = process.argv.slice(2);
const timing = (k) => /seconds|wall|runDir|runId/i.test(k);
const strip = (o) =>
  Array.isArray(o) ? o.map(strip)
  : o && typeof o === 'object' ? Object.fromEntries(Object.entries(o).filter(([k]) => !timing(k)).map(([k, v]) => [k, strip(v)]))
  : o;
const idsOf = (d) => readFileSync(`${d}/ids`, 'utf8').trim().split('\n');
const [olds, news] = [idsOf(a), idsOf(b)];
let bad = 0;
if (olds.length !== news.length) { console.log(`runs differ: ${olds} vs ${news}`); bad++; }
for (const [i, o] of olds.entries()) {
  const n = news[i];
  const w = readFileSync(`${a}/${o}/weights.bin`).equals(readFileSync(`${b}/${n}/weights.bin`));
  const r = JSON.stringify(strip(JSON.parse(readFileSync(`${a}/${o}/result.json`, 'utf8')))) ===
    JSON.stringify(strip(JSON.parse(readFileSync(`${b}/${n}/result.json`, 'utf8'))));
  console.log(`${o}${o === n ? '' : ` -> ${n}`}: weights ${w ? 'same' : 'DIFFER'}, results ${r ? 'same' : 'DIFFER'}`);
  if (!w || !r) bad++;
}
process.exit(bad ? 1 : 0);
EOF
rm -rf "$out"

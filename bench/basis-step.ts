/**
 * Training-step time of a basis ticket against the canonical one: LeNet-300-100 on Fashion-MNIST
 * (batch 60), θ = B(m ⊙ c) with the identity vs the 8×8-block DCT basis, masks at 80 % density.
 * `npx tsx bench/basis-step.ts [steps] [rounds]` alternates the two for `rounds` rounds and prints
 * each round's median CPU ms per step (process CPU time, after a warm-up third) and the median ratio,
 * with the load average before and after (the ratio drifts with how busy the machine is).
 */
import { loadavg } from 'node:os';
import { setup } from '../src/experiments/setup.js';
import { trainHparamsSchema, validate } from '../src/experiments/hparams.js';
import { basisReparam } from '../src/experiments/lottery-basis.js';
import { makeBasis } from '../src/sparsity/bases.js';
import { randomMasks } from '../src/sparsity/prune.js';
import { train } from '../src/training/loop.js';
import { Rng } from '../src/util/rng.js';

const steps = Number(process.argv[2] ?? 60);
const hp = validate(trainHparamsSchema, {
  model: { name: 'mnist_lenet_300_100' },
  training: { batchSize: 60, trainSteps: `${steps}it` },
});
const s = setup(hp);
const specs = s.model.specs;
const masks = randomMasks(
  specs,
  new Map(specs.filter((p) => p.prunable).map((p) => [p.name, 0.8])),
  new Rng(1),
);

function msPerStep(basis: string): number {
  const rp = basisReparam(makeBasis(basis), specs, masks);
  const times: number[] = [];
  // CPU time of the process (all its threads), less disturbed than wall time on a shared machine.
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let last = cpuMs();
  try {
    train(
      s.options({
        totalSteps: steps,
        sparse: { masks: new Map([...masks].map(([n, m]) => [n, m.slice()])) },
        reparam: rp.reparam,
        test: { ...s.dataset.test, n: 0, x: new Float32Array(0), y: new Int32Array(0) },
        callbacks: {
          onStep() {
            const now = cpuMs();
            times.push(now - last);
            last = now;
          },
        },
      }),
    );
  } finally {
    rp.dispose();
  }
  const warm = times.slice(Math.floor(times.length / 3)).sort((a, b) => a - b);
  return warm[Math.floor(warm.length / 2)]!;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(`load average before: ${load()}`);
const rounds = Number(process.argv[3] ?? 3);
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const id = msPerStep('identity');
  const dct = msPerStep('dct');
  ratios.push(dct / id);
  console.log(
    `round ${r + 1}: identity ${id.toFixed(2)} CPU ms/step, dct ${dct.toFixed(2)} CPU ms/step, ratio ${(dct / id).toFixed(2)}×`,
  );
}
ratios.sort((a, b) => a - b);
console.log(`median ratio dct / identity: ${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)}×`);
console.log(`load average after: ${load()}`);

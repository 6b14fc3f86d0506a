/**
 * Ma et al. 2021 (KD ticket) on LeNet-5 / Fashion-MNIST: one-shot global magnitude pruning of the
 * trained dense net, then the paper's four retrainings of each mask: the lottery ticket (θ0, CE),
 * rewinding (θ_k, CE), the KD ticket (θ0, KD loss from the dense teacher) and KD rewinding (θ_k, KD).
 *
 * Why LeNet-5: the paper needs a convnet whose dense teacher is stronger than its tickets; LeNet-5
 * is the cheapest convnet here (its kernels are specialised in the native engine), so three seeds
 * fit the hour that ResNet-20 or Conv-4 would need per seed.
 */
import type { LotteryResult } from '../experiments/lottery.js';
import { createModel } from '../models/registry.js';
import { datasetInfo } from '../data/registry.js';
import { claim, collapsed, paired } from './claims.js';
import { series, sparsityChart } from './figures.js';
import { accuracyOver, datasetOf, lotteryArms, lotteryPerSeed, perSeed, QUICK_MODEL } from './common.js';
import { pct, pctPm } from './stats.js';
import type { Check, Outcome, Paper, ReproContext } from './types.js';

/** The four retrainings of each mask: [label, branch ('' = the main θ0 ticket)]. */
const ARMS = [
  { arm: 'lottery ticket (θ0, CE)', branch: '' },
  { arm: 'rewinding (θ_k, CE)', branch: 'rewind' },
  { arm: 'KD ticket (θ0, KD)', branch: 'kd' },
  { arm: 'KD rewinding (θ_k, KD)', branch: 'kd_rewind' },
];
const TAUGHT = ['kd', 'kd_rewind'];

/**
 * The paper's recipe scaled to CPU: 15 epochs of SGD momentum 0.9, lr 0.05 cosine, wd 5e-4; θ_k at
 * 3 of 15 epochs (20 %; the CIFAR code rewinds to epoch 33 of 182, 18 %).
 */
function settings(ctx: ReproContext) {
  const hparams = {
    dataset: datasetOf(ctx),
    model: { name: ctx.quick ? QUICK_MODEL : 'mnist_lenet5' },
    training: {
      trainSteps: ctx.quick ? '2ep' : '15ep',
      batchSize: ctx.quick ? 64 : 128,
      lr: 0.05,
      momentum: 0.9,
      lrSchedule: 'cosine',
      weightDecay: 5e-4,
    },
    pruning: { pruneScope: 'global' },
  };
  const plan = {
    levels: 0,
    oneShot: ctx.quick ? [0.5, 0.8] : [0.9, 0.97],
    branches: ARMS.map((a) => a.branch).filter(Boolean),
    kdRewind: ctx.quick ? '1ep' : '3ep',
    kdAlpha: 0.9,
    kdTemperature: 5,
  };
  return { hparams, plan };
}

/** The paper's comparisons at each sparsity, paired over seeds; an arm that collapsed voids its claims. */
function checks(rs: LotteryResult[], sparsities: number[], seeds: number[], classes: number): Check[] {
  const dense = perSeed(rs, (r) => r.levels[0]!);
  const at = (i: number, b: string) => perSeed(rs, (r) => r.oneShot[i]!, b);
  const bestTaught = dense.map((_, s) =>
    Math.max(...sparsities.flatMap((_, i) => TAUGHT.map((b) => at(i, b)[s]!))),
  );
  return [
    claim(
      'the dense teacher beats every ticket it teaches (teacher − best KD or KD-rewinding ticket)',
      paired(dense, bestTaught),
    ),
    ...sparsities.flatMap((sp, i) => {
      const acc = Object.fromEntries(ARMS.map((a) => [a.branch, at(i, a.branch)]));
      const caveat = (...branches: string[]) =>
        branches
          .map((b) => collapsed(ARMS.find((a) => a.branch === b)!.arm, acc[b]!, seeds, classes))
          .filter((c) => c !== undefined)
          .join('; ') || undefined;
      const [lt, rw, kd, kdr] = ['', 'rewind', 'kd', 'kd_rewind'].map((b) => acc[b]!) as [
        number[],
        number[],
        number[],
        number[],
      ];
      const s = pct(sp, 0);
      return [
        claim(
          `at ${s}, the KD ticket is on par with or better than rewinding (KD − rewinding, margin −0.5 pp)`,
          paired(kd, rw),
          { margin: -0.005, caveat: caveat('kd', 'rewind') },
        ),
        claim(`at ${s}, the KD ticket beats the lottery ticket (KD − θ0 ticket)`, paired(kd, lt), {
          caveat: caveat('kd', ''),
        }),
        claim(
          `at ${s}, KD rewinding beats both the KD ticket and rewinding (KD rewinding − the better of them)`,
          paired(
            kdr,
            kd.map((x, j) => Math.max(x, rw[j]!)),
          ),
          { caveat: caveat('kd_rewind', 'rewind') },
        ),
      ];
    }),
  ];
}

function run(ctx: ReproContext): Outcome {
  const { hparams, plan } = settings(ctx);
  ctx.log(
    'kd-ticket: dense teacher, one-shot global pruning, θ0 ticket / rewinding / KD ticket / KD rewinding',
  );
  const rs = lotteryPerSeed(ctx, hparams, plan);
  const sp = plan.oneShot;
  const dense = accuracyOver(rs, (r) => r.levels[0]!);
  const acc = (b: string) => sp.map((_, i) => accuracyOver(rs, (r) => r.oneShot[i]!, b));
  const x = rs[0]!.oneShot.map((p) => p.remaining);
  return {
    setting:
      `${hparams.model.name} on ${hparams.dataset.name}; SGD momentum 0.9, lr 0.05 cosine, weight decay 5e-4, batch ${hparams.training.batchSize}, ${hparams.training.trainSteps} per training (the paper: 182 CIFAR epochs); ` +
      `one-shot global magnitude pruning of the trained dense net to ${sp.map((s) => pct(s, 0)).join(' and ')} (output layer never pruned); ` +
      `KD loss α = 0.9, T = 5, teacher = the seed's own dense net; rewinding and KD rewinding from θ_k at ${plan.kdRewind}. Each arm of a seed retrains the same mask (see the fingerprints).`,
    tables: [
      {
        title: `Test accuracy (%), mean ± std over seeds; the dense teacher: ${pctPm(dense)}`,
        columns: ['sparsity', 'remaining', ...ARMS.map((a) => a.arm)],
        rows: sp.map((s, i) => [pct(s, 0), pct(x[i]!), ...ARMS.map((a) => pctPm(acc(a.branch)[i]!))]),
      },
    ],
    figures: [
      {
        name: 'kd-ticket-accuracy',
        chart: sparsityChart(
          'kd-ticket',
          'KD ticket vs lottery ticket and rewinding',
          ARMS.map((a) => series(a.arm, x, acc(a.branch))),
        ),
      },
    ],
    checks: checks(rs, sp, ctx.seeds, datasetInfo(hparams.dataset.name).numClasses),
    arms: sp.flatMap((s, i) =>
      lotteryArms(ctx, rs, plan, { tag: pct(s, 0), point: (r) => r.oneShot[i]! }, ARMS),
    ),
    runIds: rs.map((r) => r.runId),
    notes: [
      `The paper prunes conv weights only; ${convShare()} Here every layer but the output one is pruned, globally.`,
    ],
  };
}

/** How much of LeNet-5 its convs are, measured on the model. */
function convShare(): string {
  const specs = createModel('mnist_lenet5', [28, 28, 1], 10).specs.filter((s) => s.prunable);
  const size = (kind: string) =>
    specs.filter((s) => s.kind === kind).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
  const conv = size('conv');
  const all = conv + size('dense');
  return `LeNet-5's convs hold ${conv.toLocaleString('en')} of its ${all.toLocaleString('en')} prunable weights (${pct(conv / all)}), so conv-only pruning would leave it nearly dense.`;
}

export const kdTicket: Paper = {
  name: 'kd-ticket',
  title: 'Good Students Play Big Lottery Better (KD ticket, Ma et al. 2021)',
  claim:
    'Retraining a pruned sub-network on the soft labels of the trained dense net (the KD ticket) performs on par with or better than rewinding, and better than the lottery ticket, at high sparsity; KD combined with rewinding does best.',
  run,
};

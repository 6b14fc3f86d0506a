/**
 * Ma et al. 2021 (KD ticket) on LeNet-5 / Fashion-MNIST: one-shot global magnitude pruning of the
 * trained dense net, then the lottery ticket (θ0, CE) against the KD ticket (θ0, KD loss from the
 * dense teacher) and KD rewinding (θ at 1 epoch, KD loss).
 *
 * Why LeNet-5: the paper needs a convnet whose dense teacher is stronger than its tickets; LeNet-5
 * is the cheapest convnet here (its kernels are specialised in the native engine), so three seeds
 * of four sparsities fit the hour that ResNet-20 or Conv-4 would need per seed.
 */
import { runLottery } from '../experiments/lottery.js';
import { createModel } from '../models/registry.js';
import { series, sparsityChart } from './figures.js';
import { accuracy, datasetOf, QUICK_MODEL, replicates } from './common.js';
import { pct, pctPm } from './stats.js';
import type { Outcome, Paper, ReproContext } from './types.js';

function run(ctx: ReproContext): Outcome {
  const sparsities = ctx.quick ? [0.5, 0.8] : [0.8, 0.9, 0.95, 0.98];
  const hparams = {
    dataset: datasetOf(ctx),
    model: { name: ctx.quick ? QUICK_MODEL : 'mnist_lenet5' },
    training: {
      // 3 epochs: the 39 LeNet-5 trainings of three seeds in ~6 idle minutes (the paper: 160+ epochs).
      trainSteps: ctx.quick ? '2ep' : '3ep',
      batchSize: ctx.quick ? 64 : 128,
      lr: 0.05,
      momentum: 0.9,
    },
    pruning: { pruneScope: 'global' },
  };
  ctx.log('kd-ticket: dense teacher, one-shot global pruning, LT / KD ticket / KD rewinding');
  const r = runLottery({
    store: ctx.store,
    hparams,
    plan: {
      levels: 0,
      replicates: replicates(ctx),
      oneShot: sparsities,
      branches: ['kd', 'kd_rewind'],
      kdRewind: '1ep',
      kdAlpha: 0.9,
      kdTemperature: 5,
    },
    callbacks: ctx.callbacks,
    log: ctx.log,
  });
  const dense = accuracy(r.levels[0]!);
  const lt = r.oneShot.map(accuracy);
  const kd = r.oneShot.map((p) => accuracy(p.branches.kd!));
  const kdr = r.oneShot.map((p) => accuracy(p.branches.kd_rewind!));
  const x = r.oneShot.map((p) => p.remaining);
  const hi = sparsities.length - 1;
  const high = [hi - 1, hi].filter((i) => i >= 0);
  return {
    setting:
      `${hparams.model.name} on ${hparams.dataset.name}; SGD lr 0.05 momentum 0.9 batch ${hparams.training.batchSize}, ${hparams.training.trainSteps} per training (the paper trains far longer; scaled down for CPU time); ` +
      `one-shot global magnitude pruning of the trained dense net to ${sparsities.map((s) => pct(s, 0)).join(', ')} (output layer never pruned); ` +
      `KD loss α = 0.9, T = 5, teacher = the seed's own dense net; KD rewinding from θ at 1 epoch.`,
    tables: [
      {
        title: `Test accuracy (%); the dense teacher: ${pctPm(dense)}`,
        columns: ['sparsity', 'remaining', 'lottery ticket (θ0)', 'KD ticket (θ0)', 'KD rewinding (θ_1ep)'],
        rows: r.oneShot.map((p, i) => [
          pct(p.sparsity, 0),
          pct(p.remaining),
          pctPm(lt[i]!),
          pctPm(kd[i]!),
          pctPm(kdr[i]!),
        ]),
      },
    ],
    figures: [
      {
        name: 'kd-ticket-accuracy',
        chart: sparsityChart('kd-ticket', 'KD ticket vs lottery ticket', [
          series('lottery ticket', x, lt),
          series('KD ticket', x, kd),
          series('KD rewinding', x, kdr),
        ]),
      },
    ],
    checks: [
      {
        what: `the dense teacher (${pctPm(dense)}) is stronger than the sparsest lottery ticket (${pctPm(lt[hi]!)})`,
        holds: dense.mean > lt[hi]!.mean,
      },
      ...high.map((i) => ({
        what: `at ${pct(sparsities[i]!, 0)} sparsity the KD ticket (${pctPm(kd[i]!)}) is at least the lottery ticket (${pctPm(lt[i]!)})`,
        holds: kd[i]!.mean >= lt[i]!.mean,
      })),
      {
        what: `at ${pct(sparsities[hi]!, 0)} KD rewinding (${pctPm(kdr[hi]!)}) is at least the KD ticket (${pctPm(kd[hi]!)})`,
        holds: kdr[hi]!.mean >= kd[hi]!.mean,
      },
    ],
    runIds: [r.runId],
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
    'Retraining a pruned sub-network on the soft labels of the trained dense net (the KD ticket) performs on par with or better than the lottery ticket and rewinding at high sparsity, and KD combined with rewinding does best.',
  run,
};

/**
 * Nakkiran et al. 2021 (Deep Bootstrap) on Fashion-MNIST: LeNet-300-100 and LeNet-5 trained in the
 * Real World (n = 5,000 samples re-used) and the Ideal World (fresh samples from the other 55,000
 * every step) for the same steps; the test soft-error gap at the Real World's stopping time, and
 * whether the two worlds rank the models alike.
 */
import { bootstrapHparamsSchema, runBootstrap, type BootstrapResult } from '../experiments/bootstrap.js';
import { validate } from '../experiments/hparams.js';
import { chart } from './figures.js';
import { datasetOf } from './common.js';
import { measure, numPm } from './stats.js';
import type { Measure, Outcome, Paper, ReproContext } from './types.js';

function run(ctx: ReproContext): Outcome {
  const models = ctx.quick ? ['mlp_16', 'mlp_2'] : ['mnist_lenet_300_100', 'mnist_lenet5'];
  const n = ctx.quick ? 64 : 5000;
  const threshold = 0.01;
  const results: BootstrapResult[] = ctx.seeds.map((seed) => {
    ctx.log(`deep-bootstrap: seed ${seed}`);
    const hp = validate(bootstrapHparamsSchema, {
      dataset: datasetOf(ctx),
      training: {
        trainSteps: ctx.quick ? '4ep' : '10ep',
        batchSize: ctx.quick ? 16 : 128,
        lr: 0.1,
        lrSchedule: 'cosine',
        seed,
      },
      bootstrap: { n, models, logEvery: ctx.quick ? '1ep' : '1ep', threshold },
    });
    return runBootstrap(hp, { store: ctx.store, callbacks: ctx.callbacks, log: ctx.log });
  });
  const per = (f: (r: BootstrapResult, i: number) => number) => (i: number) =>
    measure(results.map((r) => f(r, i)));
  const gap = models.map((_, i) => per((r) => r.models[i]!.gap)(i));
  const realSoft = models.map((_, i) => per((r) => r.models[i]!.atStop.real.testSoftError)(i));
  const idealSoft = models.map((_, i) => per((r) => r.models[i]!.atStop.ideal.testSoftError)(i));
  const reached = models.map((_, i) => results.filter((r) => r.models[i]!.stoppingStep !== null).length);
  const rank = (ms: Measure[]) =>
    ms
      .map((m, i) => [m.mean, i] as const)
      .sort((p, q) => p[0] - q[0])
      .map(([, i]) => models[i]!);
  const sameRank = rank(realSoft).join() === rank(idealSoft).join();
  const curves = results[0]!.models.map((m) =>
    chart(
      `bootstrap-${m.model}`,
      `${m.model}: test soft error, Real vs Ideal World (seed ${ctx.seeds[0]})`,
      'samples seen',
      'test soft error',
      [
        {
          label: 'Real World',
          x: m.real.curve.map((p) => p.samplesSeen),
          y: m.real.curve.map((p) => p.testSoftError),
        },
        {
          label: 'Ideal World',
          x: m.ideal.curve.map((p) => p.samplesSeen),
          y: m.ideal.curve.map((p) => p.testSoftError),
        },
      ],
    ),
  );
  return {
    setting:
      `${datasetOf(ctx).name}; Real World n = ${n.toLocaleString('en')}, Ideal World fresh samples from the rest of the training set; ` +
      `SGD lr 0.1 cosine, batch ${ctx.quick ? 16 : 128}, ${ctx.quick ? '4' : '10'} Real World epochs, no augmentation; stopping time: first logged step with Real World train error < ${threshold * 100} %.`,
    tables: [
      {
        title: 'Test soft error at the Real World stopping time, and the bootstrap gap (Real − Ideal)',
        columns: ['model', 'Real World', 'Ideal World', 'gap', 'seeds that reached the stopping time'],
        rows: models.map((m, i) => [
          m,
          numPm(realSoft[i]!),
          numPm(idealSoft[i]!),
          numPm(gap[i]!),
          `${reached[i]} of ${ctx.seeds.length}`,
        ]),
      },
    ],
    figures: curves.map((c, i) => ({ name: `deep-bootstrap-${models[i]}`, chart: c })),
    checks: [
      ...models.map((m, i) => ({
        what: `${m}: |gap| = ${Math.abs(gap[i]!.mean).toFixed(4)} is below 0.05 (our threshold; the paper gives none)`,
        holds: Math.abs(gap[i]!.mean) < 0.05,
      })),
      {
        what: `both worlds rank the models alike (Real: ${rank(realSoft).join(' < ')}; Ideal: ${rank(idealSoft).join(' < ')}, by test soft error)`,
        holds: sameRank,
      },
    ],
    runIds: results.map((r) => r.runId),
    notes: [
      'Where a seed never reached the stopping time, its numbers are those of the last logged step (docs/fidelity.md).',
    ],
  };
}

export const deepBootstrap: Paper = {
  name: 'deep-bootstrap',
  title: 'The Deep Bootstrap Framework (Nakkiran, Neyshabur & Sedghi 2021)',
  claim:
    'A network trained for T steps on n re-used samples (Real World) has nearly the same test soft error as the same network trained for T steps on fresh samples (Ideal World) until the Real World reaches small train error, so models that optimise faster online generalise better offline.',
  run,
};

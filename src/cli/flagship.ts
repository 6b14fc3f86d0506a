import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import { hashedRunId, trainHparamsSchema, validate } from '../experiments/hparams.js';
import { setup } from '../experiments/setup.js';
import { runTraining } from '../experiments/run.js';
import { engineStatus } from '../engine/index.js';
import { addTrainingFlags, hparamsFromFlags, type CommonOptions } from './flags.js';
import { progress } from './progress.js';
import { emit, pct } from './output.js';

/** The recipe of the main job: LeNet-300-100 on Fashion-MNIST, SGD momentum + cosine, 10 epochs. */
export const FLAGSHIP_DENSE = {
  dataset: { name: 'fashion_mnist' },
  model: { name: 'mnist_lenet_300_100' },
  training: { optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4, lrSchedule: 'cosine', batchSize: 128, trainSteps: '10ep' },
};

export function register(program: Command): void {
  addTrainingFlags(
    program.command('flagship').description("sprig's main job on its defaults: LeNet-300-100 on Fashion-MNIST, stored and cached"),
  ).action((o: CommonOptions) => {
    const hp = validate(trainHparamsSchema, hparamsFromFlags(o, FLAGSHIP_DENSE));
    const store = new RunStore(o.root);
    const s = setup(hp);
    const runId = hashedRunId('train', trainHparamsSchema, hp);
    if (!o.json) process.stderr.write(`sprig flagship: dense ${hp.model.name} on ${s.dataset.name} (engine: ${engineStatus().engine})\n`);
    const { trained: _t, ...r } = runTraining({ store, runId, kind: 'train', hparams: hp, options: s.options(), callbacks: progress({ quiet: o.quiet }), label: 'dense' });
    store.close();
    emit(o.json, { dense: r }, () => `dense ${hp.model.name}: test accuracy ${pct(r.testAccuracy)} in ${r.wallSeconds.toFixed(1)} s (${r.runId}${r.cached ? ', stored' : ''})`);
  });
}

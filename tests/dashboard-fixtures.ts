/** A temporary store with two tiny real training runs, shared by the dashboard tests. */
import { sprigJson, tempRoot } from './helpers.js';

export interface DashboardStore {
  root: string;
  runs: { runId: string; runDir: string; steps: number; history: unknown[] }[];
}

export function makeStore(prefix = 'sprig-dash-'): DashboardStore {
  const root = tempRoot(prefix);
  const train = (model: string) =>
    sprigJson<DashboardStore['runs'][number]>([
      'train',
      '--dataset',
      'synthetic',
      '--model',
      model,
      '--train-steps',
      '3ep',
      '--batch-size',
      '32',
      '--root',
      root,
      '--quiet',
    ]);
  return { root, runs: [train('mlp_16'), train('mlp_8')] };
}

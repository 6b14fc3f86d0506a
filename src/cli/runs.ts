import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import { SprigError } from '../util/errors.js';
import { addOutputFlags, type CommonOptions } from './flags.js';
import { emit, pct, table } from './output.js';

export function register(program: Command): void {
  addOutputFlags(program.command('runs').description('list stored runs'))
    .option('--kind <kind>', 'only runs of this kind (train, lottery, dst, …)')
    .option('--status <status>', 'only runs with this status (running, finished, failed)')
    .option('--all', 'include nested runs (lottery levels, branches)')
    .action((o: CommonOptions & { kind?: string; status?: string; all?: boolean }) => {
      const store = new RunStore(o.root);
      const rows = store.index.list({ kind: o.kind, status: o.status, parent: o.all ? undefined : null });
      store.close();
      emit(o.json, rows, () =>
        rows.length
          ? table(
              ['run', 'kind', 'status', 'model', 'dataset', 'test acc', 'updated'],
              rows.map((r) => {
                const hp = r.hparams as { model?: { name?: string }; dataset?: { name?: string } };
                return [
                  r.runId,
                  r.kind,
                  r.status,
                  hp.model?.name ?? '',
                  hp.dataset?.name ?? '',
                  pct(r.result?.testAccuracy as number | undefined),
                  r.updatedAt.slice(0, 19),
                ];
              }),
            )
          : `no runs in ${store.root}`,
      );
    });

  addOutputFlags(
    program
      .command('show')
      .description('show one run: hyperparameters, result and metrics')
      .argument('<run>', 'run id (a unique prefix is enough)'),
  ).action((run: string, o: CommonOptions) => {
    const store = new RunStore(o.root);
    const found = store.index.findByPrefix(run);
    if (found.length !== 1) {
      store.close();
      throw new SprigError(
        found.length
          ? `'${run}' matches ${found.length} runs: ${found.map((f) => f.runId).join(', ')}`
          : `no run '${run}' in ${store.root}`,
        found.length ? 'give more of the run id' : '`sprig runs` lists the stored runs',
      );
    }
    const row = found[0]!;
    const metrics = store.index.metrics(row.runId);
    store.close();
    emit(o.json, { ...row, metrics }, () => {
      const steps = [...new Set(metrics.map((m) => m.step))];
      const names = [...new Set(metrics.map((m) => m.name))];
      const get = (s: number, n: string) => metrics.find((m) => m.step === s && m.name === n)?.value;
      return [
        `${row.runId} (${row.kind}, ${row.status})`,
        `hyperparameters: ${JSON.stringify(row.hparams, null, 2)}`,
        `result: ${JSON.stringify(row.result, null, 2)}`,
        steps.length
          ? table(
              ['step', ...names],
              steps.map((s) => [s, ...names.map((n) => (get(s, n) ?? NaN).toPrecision(4))]),
            )
          : 'no metrics',
      ].join('\n');
    });
  });
}

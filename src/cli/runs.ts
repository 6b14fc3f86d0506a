import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import type { RunRow } from '../store/index-db.js';
import { SprigError } from '../util/errors.js';
import { addOutputFlags, type CommonOptions } from './flags.js';
import { emit, pct, table } from './output.js';

/** Listing and showing only read: they work on a read-only store. */
function readStore(root: string): RunStore {
  const store = new RunStore(root, { readOnly: true });
  if (!existsSync(store.root))
    throw new SprigError(
      `there is no run store at ${store.root}`,
      'pass --root DIR (or set SPRIG_ROOT) to the directory your runs are stored in',
    );
  return store;
}

export function register(program: Command): void {
  addOutputFlags(program.command('runs').description('list stored runs'))
    .option('--kind <kind>', 'only runs of this kind (train, lottery, dst, …)')
    .option('--status <status>', 'only runs with this status (running, interrupted, finished, failed)')
    .option('--all', 'include nested runs (lottery levels, branches)')
    .action((o: CommonOptions & { kind?: string; status?: string; all?: boolean }) => {
      const store = readStore(o.root);
      const rows = store.index
        .list({ kind: o.kind, parent: o.all ? undefined : null })
        .map((r) => ({ ...r, status: store.status(r) }))
        .filter((r) => !o.status || r.status === o.status);
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
    const store = readStore(o.root);
    const row = findRun(store, run);
    const metrics = store.index.metrics(row.runId);
    const dir = row.dir ?? store.dir(row.runId);
    const engine = store.record(dir);
    store.close();
    emit(o.json, { ...row, engine, metrics }, () => {
      const steps = [...new Set(metrics.map((m) => m.step))];
      const names = [...new Set(metrics.map((m) => m.name))];
      const get = (s: number, n: string) => metrics.find((m) => m.step === s && m.name === n)?.value;
      return [
        `${row.runId} (${row.kind}, ${row.status})`,
        ...(row.status === 'interrupted'
          ? ['its process is gone; run the same command again to resume it from its last checkpoint']
          : []),
        ...(engine ? [`engine: ${engine.engine}, ${engine.threads} thread(s)`] : []),
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

  addOutputFlags(
    program
      .command('reindex')
      .description('rebuild the run index (index.sqlite) from the run directories, which are the truth'),
  ).action((o: CommonOptions) => {
    const store = new RunStore(o.root);
    const n = store.reindex();
    store.close();
    emit(o.json, { root: store.root, runs: n }, () => `indexed ${n} runs in ${store.root}`);
  });
}

/** The run with this exact id, else the only one it prefixes (a lottery id prefixes its own levels). */
function findRun(store: RunStore, id: string): RunRow {
  const exact = store.index.get(id);
  const found = exact ? [exact] : store.index.findByPrefix(id);
  if (found.length !== 1) {
    store.close();
    throw new SprigError(
      found.length
        ? `'${id}' matches ${found.length} runs: ${found.map((f) => f.runId).join(', ')}`
        : `no run '${id}' in ${store.root}`,
      found.length ? 'give more of the run id' : '`sprig runs` lists the stored runs',
    );
  }
  return { ...found[0]!, status: store.status(found[0]!) };
}

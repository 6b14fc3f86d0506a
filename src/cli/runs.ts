import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { checkStoreRoot, RunStore } from '../store/store.js';
import { RUN_STATUSES, type MetricRow, type RunRow } from '../store/index-db.js';
import type { RunRecord } from '../store/artifacts.js';
import { checkRun, type RunCheck } from '../store/verify.js';
import { identifyStored } from '../experiments/stored-identity.js';
import { statusFix } from '../store/status.js';
import { SprigError, unknownName } from '../util/errors.js';
import { addOutputFlags, type CommonOptions } from './flags.js';
import { emit, pct, table } from './output.js';
import { StoreReader } from '../dashboard/reader.js';

/** Listing and showing only read: they work on a read-only store. */
export function readStore(root: string): RunStore {
  checkStoreRoot(resolve(root));
  return new RunStore(root, { readOnly: true, identify: identifyStored });
}

export function register(program: Command): void {
  addOutputFlags(program.command('runs').description('list stored runs'))
    .option('--kind <kind>', 'only runs of this kind (train, lottery, dst, …)')
    .option('--status <status>', `only runs with this status (${RUN_STATUSES.join(', ')})`)
    .option('--all', 'include nested runs (lottery levels, branches)')
    .action((o: CommonOptions & { kind?: string; status?: string; all?: boolean }) => {
      if (o.status !== undefined && !(RUN_STATUSES as readonly string[]).includes(o.status))
        throw unknownName('status', o.status, RUN_STATUSES);
      const store = readStore(o.root);
      const indexed = store.index
        .list({ kind: o.kind, parent: o.all ? undefined : null })
        .map((r) => ({ ...r, status: store.status(r) }));
      store.close();
      const rows = [...indexed, ...directoryParents(store.root, o.kind)].filter(
        (r) => !o.status || r.status === o.status,
      );
      emit(o.json, rows, () => (rows.length ? listing(rows, store.root) : `no runs in ${store.root}`));
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
    let engine: RunRecord | undefined;
    try {
      engine = store.record(dir);
    } catch {
      engine = undefined; // a damaged run.json: the status says corrupt
    }
    const files = existsSync(dir) ? checkRun(dir, identifyStored) : undefined;
    store.close();
    emit(o.json, { ...row, engine, files, metrics }, () =>
      showText({ ...row, engine, files, metrics }, store.root),
    );
  });

  addOutputFlags(
    program
      .command('reindex')
      .description('rebuild the run index (index.sqlite) from the run directories, which are the truth'),
  ).action((o: CommonOptions) => {
    const store = new RunStore(o.root, { identify: identifyStored });
    const n = store.reindex();
    store.close();
    emit(o.json, { root: store.root, runs: n }, () => `indexed ${n} runs in ${store.root}`);
  });
}

/** The runs as a table, then what to do about those that need it (one line per status). */
function listing(rows: RunRow[], root: string): string {
  const lines = [
    table(
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
    ),
  ];
  for (const status of new Set(rows.map((r) => r.status))) {
    const fix = statusFix(status, root);
    const ids = rows.filter((r) => r.status === status).map((r) => r.runId);
    if (fix) lines.push(`${status}: ${ids.join(', ')}\n  fix: ${fix}`);
  }
  return lines.join('\n');
}

/** What its files' check found, in a line. */
function filesLine(c: RunCheck): string {
  if (c.state === 'ok') return 'files: every file matches its sha-256 in manifest.json';
  if (c.state === 'unverified')
    return 'files: unverified (stored before checksums: there is no manifest to check them against)';
  return `files: ${c.problems.join('; ')}`;
}

function showText(
  r: RunRow & { engine?: RunRecord; files?: RunCheck; metrics: MetricRow[] },
  root: string,
): string {
  const { metrics } = r;
  const steps = [...new Set(metrics.map((m) => m.step))];
  const names = [...new Set(metrics.map((m) => m.name))];
  const get = (s: number, n: string) => metrics.find((m) => m.step === s && m.name === n)?.value;
  return [
    `${r.runId} (${r.kind}, ${r.status})`,
    ...[statusFix(r.status, root)].filter((l) => l !== undefined),
    ...(r.files ? [filesLine(r.files)] : []),
    ...(r.engine ? [`engine: ${r.engine.engine}, ${r.engine.threads} thread(s)`] : []),
    `hyperparameters: ${JSON.stringify(r.hparams, null, 2)}`,
    `result: ${JSON.stringify(r.result, null, 2)}`,
    steps.length
      ? table(
          ['step', ...names],
          steps.map((s) => [s, ...names.map((n) => (get(s, n) ?? NaN).toPrecision(4))]),
        )
      : 'no metrics',
  ].join('\n');
}

/** The run with this exact id, else the only one it prefixes (a lottery id prefixes its own levels). */
/**
 * Top-level experiments stored only as directories (bootstrap, gradflow parents), as the dashboard
 * lists them; none when a second, read-only look at the index fails (an index just rebuilt).
 */
function directoryParents(root: string, kind?: string): RunRow[] {
  let reader: StoreReader | undefined;
  try {
    reader = new StoreReader(root);
    return reader.unindexed(kind);
  } catch {
    return [];
  } finally {
    reader?.close();
  }
}

function findRun(store: RunStore, id: string): RunRow {
  const exact = store.index.get(id);
  const indexed = exact ? [exact] : store.index.findByPrefix(id);
  const found = indexed.length ? indexed : directoryParents(store.root).filter((r) => r.runId.startsWith(id));
  if (found.length !== 1) {
    store.close();
    throw new SprigError(
      found.length
        ? `'${id}' matches ${found.length} runs: ${found.map((f) => f.runId).join(', ')}`
        : `no run '${id}' in ${store.root}`,
      found.length ? 'give more of the run id' : '`sprig runs` lists the stored runs',
    );
  }
  return indexed.length ? { ...found[0]!, status: store.status(found[0]!) } : found[0]!;
}

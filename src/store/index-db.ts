/**
 * The SQLite index of runs and their metrics (embedded, one file under the store's root). The run
 * directories are the truth; the index makes listing and filtering fast and can be rebuilt.
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { SprigError } from '../util/errors.js';
import { ioError, sqliteAsErrno } from './faults.js';
import { openReadOnly } from './index-read.js';

/** What the index records of a run; `corrupt` when reindex found its files damaged. */
export const INDEXED_STATUSES = ['running', 'finished', 'failed', 'corrupt'] as const;
/**
 * What `runs`, `show` and the dashboard show: an indexed `running` run without a live owner is
 * `interrupted`; a finished one whose files fail their check is `corrupt`; one whose directory is
 * gone is `missing` (see status.ts).
 */
export const RUN_STATUSES = [...INDEXED_STATUSES, 'interrupted', 'missing'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunRow {
  runId: string;
  kind: string;
  /** As indexed, or as shown (RUN_STATUSES). */
  status: RunStatus;
  parent: string | null;
  /** The run directory, absolute (stored relative to the root; null in rows indexed before it was recorded). */
  dir?: string | null;
  hparams: Record<string, unknown>;
  result: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export interface MetricRow {
  runId: string;
  step: number;
  name: string;
  value: number;
}

export class RunIndex {
  private readonly db: Database.Database;
  private copy?: string;
  /** The store's root, which row directories are relative to. */
  readonly root: string;
  /** The file held no runs table when it was opened (new, or copied without its -wal). */
  readonly lostRuns: boolean = false;

  /**
   * `readonly` never writes (a read-only store is read through a private copy when it must be);
   * `tempDir` is removed on close (an index rebuilt for a read-only store) and `root` then says
   * where the store is.
   */
  constructor(
    readonly path: string,
    readonly readonly = false,
    tempDir?: string,
    root = dirname(path),
  ) {
    this.copy = tempDir;
    this.root = resolve(root);
    try {
      if (readonly) [this.db, this.copy] = openReadOnly(path);
      else {
        this.db = new Database(path);
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('busy_timeout = 5000');
        this.lostRuns = !hasRunsTable(this.db);
        this.db.exec(SCHEMA);
        const cols = this.db.prepare('PRAGMA table_info(runs)').all() as { name: string }[];
        if (!cols.some((c) => c.name === 'dir')) this.db.exec('ALTER TABLE runs ADD COLUMN dir TEXT');
      }
      this.db.prepare('SELECT count(*) FROM runs').get();
    } catch (e) {
      throw this.failure(e, 'open');
    }
  }

  /** A clear error for a failed index operation: corrupt, full disk, read-only. */
  private failure(e: unknown, action: string): SprigError {
    const code = (e as { code?: string }).code ?? '';
    const lost = /no such table: runs/.test((e as Error).message ?? '');
    if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT') || lost)
      return new SprigError(
        `the run index ${this.path} is corrupt (${lost ? 'it has no runs table' : (e as Error).message})`,
        'rebuild it from the run directories: sprig reindex' +
          (this.readonly ? '' : ` (or delete ${this.path})`),
      );
    return ioError(`${action} the run index`, this.path, sqliteAsErrno(e));
  }

  private guard<T>(action: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw this.failure(e, action);
    }
  }

  upsertRun(r: {
    runId: string;
    kind: string;
    status: RunRow['status'];
    parent?: string | null;
    dir?: string;
    hparams: unknown;
    result?: unknown;
    createdAt?: string;
  }): void {
    const now = new Date().toISOString();
    this.guard('write', () =>
      this.db
        .prepare(
          `INSERT INTO runs (run_id, kind, status, parent, dir, hparams, result, created_at, updated_at)
         VALUES (@runId, @kind, @status, @parent, @dir, @hparams, @result, @created, @now)
         ON CONFLICT(run_id) DO UPDATE SET status=@status, result=COALESCE(@result, result),
           dir=COALESCE(@dir, dir), updated_at=@now`,
        )
        .run({
          runId: r.runId,
          kind: r.kind,
          status: r.status,
          parent: r.parent ?? null,
          dir: r.dir === undefined ? null : this.relative(r.dir),
          hparams: JSON.stringify(r.hparams),
          result: r.result === undefined ? null : JSON.stringify(r.result),
          created: r.createdAt ?? now,
          now,
        }),
    );
  }

  /** Directories under the root are stored relative to it, so a copied or moved store still finds them. */
  private relative(dir: string): string {
    const rel = relative(this.root, resolve(dir));
    return rel === '' || rel.startsWith('..' + sep) || rel === '..' || isAbsolute(rel) ? resolve(dir) : rel;
  }

  addMetrics(runId: string, step: number, values: Record<string, number | undefined>): void {
    this.guard('write', () => {
      const ins = this.db.prepare(
        'INSERT OR REPLACE INTO metrics (run_id, step, name, value) VALUES (?, ?, ?, ?)',
      );
      this.db.transaction(() => {
        for (const [k, v] of Object.entries(values)) if (v !== undefined) ins.run(runId, step, k, v);
      })();
    });
  }

  get(runId: string): RunRow | undefined {
    const row = this.guard(
      'read',
      () =>
        this.db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId) as
          Record<string, string> | undefined,
    );
    return row ? toRow(row, this.root) : undefined;
  }

  /** Runs whose id starts with `prefix` (so users can type a short id). */
  findByPrefix(prefix: string): RunRow[] {
    const rows = this.guard(
      'read',
      () =>
        this.db
          .prepare("SELECT * FROM runs WHERE run_id LIKE ? || '%' ESCAPE '\\' ORDER BY created_at")
          .all(prefix.replace(/[\\%_]/g, (c) => '\\' + c)) as Record<string, string>[],
    );
    return rows.map((r) => toRow(r, this.root));
  }

  list(filter: { kind?: string; status?: string; parent?: string | null } = {}): RunRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (clause: string, arg?: unknown) => {
      where.push(clause);
      if (arg !== undefined) args.push(arg);
    };
    if (filter.kind) add('kind = ?', filter.kind);
    if (filter.status) add('status = ?', filter.status);
    if (filter.parent === null) add('parent IS NULL');
    else if (filter.parent) add('parent = ?', filter.parent);
    const sql = `SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at`;
    return this.guard('read', () => this.db.prepare(sql).all(...args) as Record<string, string>[]).map((r) =>
      toRow(r, this.root),
    );
  }

  metrics(runId: string): MetricRow[] {
    return this.guard('read', () => queryMetrics(this.db, runId));
  }

  /** Records that runs belong to a sweep (a run can be in several), so views can group by sweep. */
  tagSweep(sweepId: string, runIds: string[], name = sweepId): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS sweep_runs (
      sweep_id TEXT NOT NULL, run_id TEXT NOT NULL, PRIMARY KEY (sweep_id, run_id));
      CREATE TABLE IF NOT EXISTS sweeps (sweep_id TEXT PRIMARY KEY, name TEXT NOT NULL)`);
    const ins = this.db.prepare('INSERT OR IGNORE INTO sweep_runs (sweep_id, run_id) VALUES (?, ?)');
    this.db.transaction(() => {
      this.db.prepare('INSERT OR REPLACE INTO sweeps (sweep_id, name) VALUES (?, ?)').run(sweepId, name);
      runIds.forEach((id) => ins.run(sweepId, id));
    })();
  }

  /** A sweep's status as its submitter last computed it (sweep/state.ts), for the dashboard's sweep page. */
  saveSweepStatus(sweepId: string, status: unknown): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS sweep_status (
      sweep_id TEXT PRIMARY KEY, status TEXT NOT NULL, updated_at TEXT NOT NULL)`);
    this.db
      .prepare('INSERT OR REPLACE INTO sweep_status (sweep_id, status, updated_at) VALUES (?, ?, ?)')
      .run(sweepId, JSON.stringify(status), new Date().toISOString());
  }

  close(): void {
    this.db.close();
    if (this.copy) rmSync(this.copy, { recursive: true, force: true });
  }
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, parent TEXT,
    hparams TEXT NOT NULL, result TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, dir TEXT);
  CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL, step INTEGER NOT NULL, name TEXT NOT NULL, value REAL,
    PRIMARY KEY (run_id, step, name));
  CREATE INDEX IF NOT EXISTS runs_kind ON runs(kind);`;

const hasRunsTable = (db: Database.Database) =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'").get() !== undefined;

/** A runs-table row as stored (JSON columns parsed, its directory resolved against the root). */
export function toRow(r: Record<string, string>, root: string): RunRow {
  return {
    runId: r.run_id!,
    kind: r.kind!,
    status: r.status as RunRow['status'],
    parent: r.parent ?? null,
    dir: r.dir ? resolve(root, r.dir) : null,
    hparams: JSON.parse(r.hparams!),
    result: r.result ? JSON.parse(r.result) : null,
    createdAt: r.created_at!,
    updatedAt: r.updated_at!,
  };
}

/** What queryMetrics uses of a connection, by shape: the public types need no @types/better-sqlite3. */
interface Queryable {
  prepare(sql: string): { all(...params: unknown[]): unknown[] };
}

/** A run's metrics in step order (shared with the dashboard's read-only connection). */
export function queryMetrics(db: Queryable, runId: string): MetricRow[] {
  return (
    db
      .prepare('SELECT run_id, step, name, value FROM metrics WHERE run_id = ? ORDER BY step, name')
      .all(runId) as Record<string, unknown>[]
  ).map((r) => ({
    runId: r.run_id as string,
    step: r.step as number,
    name: r.name as string,
    value: r.value as number,
  }));
}

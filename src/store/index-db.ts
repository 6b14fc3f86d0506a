/**
 * The SQLite index of runs and their metrics (embedded, one file under the store's root). The run
 * directories are the truth; the index makes listing and filtering fast and can be rebuilt.
 */
import Database from 'better-sqlite3';

export interface RunRow {
  runId: string;
  kind: string;
  status: 'running' | 'finished' | 'failed';
  parent: string | null;
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

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS runs (
        run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, parent TEXT,
        hparams TEXT NOT NULL, result TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS metrics (
        run_id TEXT NOT NULL, step INTEGER NOT NULL, name TEXT NOT NULL, value REAL,
        PRIMARY KEY (run_id, step, name));
      CREATE INDEX IF NOT EXISTS runs_kind ON runs(kind);`);
  }

  upsertRun(r: {
    runId: string;
    kind: string;
    status: RunRow['status'];
    parent?: string | null;
    hparams: unknown;
    result?: unknown;
  }): void {
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO runs (run_id, kind, status, parent, hparams, result, created_at, updated_at)
         VALUES (@runId, @kind, @status, @parent, @hparams, @result, @now, @now)
         ON CONFLICT(run_id) DO UPDATE SET status=@status, result=COALESCE(@result, result), updated_at=@now`,
      )
      .run({
        runId: r.runId,
        kind: r.kind,
        status: r.status,
        parent: r.parent ?? null,
        hparams: JSON.stringify(r.hparams),
        result: r.result === undefined ? null : JSON.stringify(r.result),
        now,
      });
  }

  addMetrics(runId: string, step: number, values: Record<string, number | undefined>): void {
    const ins = this.db.prepare(
      'INSERT OR REPLACE INTO metrics (run_id, step, name, value) VALUES (?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(values)) if (v !== undefined) ins.run(runId, step, k, v);
    })();
  }

  get(runId: string): RunRow | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId) as
      Record<string, string> | undefined;
    return row ? toRow(row) : undefined;
  }

  /** Runs whose id starts with `prefix` (so users can type a short id). */
  findByPrefix(prefix: string): RunRow[] {
    const rows = this.db
      .prepare("SELECT * FROM runs WHERE run_id LIKE ? || '%' ORDER BY created_at")
      .all(prefix) as Record<string, string>[];
    return rows.map(toRow);
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
    return (this.db.prepare(sql).all(...args) as Record<string, string>[]).map(toRow);
  }

  metrics(runId: string): MetricRow[] {
    return queryMetrics(this.db, runId);
  }

  /** Records that runs belong to a sweep (a run can be in several), so views can group by sweep. */
  tagSweep(sweepId: string, runIds: string[]): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS sweep_runs (
      sweep_id TEXT NOT NULL, run_id TEXT NOT NULL, PRIMARY KEY (sweep_id, run_id))`);
    const ins = this.db.prepare('INSERT OR IGNORE INTO sweep_runs (sweep_id, run_id) VALUES (?, ?)');
    this.db.transaction(() => runIds.forEach((id) => ins.run(sweepId, id)))();
  }

  close(): void {
    this.db.close();
  }
}

/** A runs-table row as stored (JSON columns parsed). */
export function toRow(r: Record<string, string>): RunRow {
  return {
    runId: r.run_id!,
    kind: r.kind!,
    status: r.status as RunRow['status'],
    parent: r.parent ?? null,
    hparams: JSON.parse(r.hparams!),
    result: r.result ? JSON.parse(r.result) : null,
    createdAt: r.created_at!,
    updatedAt: r.updated_at!,
  };
}

/** A run's metrics in step order (shared with the dashboard's read-only connection). */
export function queryMetrics(db: Database.Database, runId: string): MetricRow[] {
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

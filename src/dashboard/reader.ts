/**
 * Read-only access to a run store for the dashboard and `sprig plot`. It opens the SQLite index
 * with `readonly` (never `RunStore`, whose constructor creates the root and the tables) and reads run
 * directories without writing anything. Experiments that record no index row of their own (the
 * bootstrap and gradflow parents) are found from their directories at the root.
 */
import Database from 'better-sqlite3';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { queryMetrics, toRow, type MetricRow, type RunRow } from '../store/index-db.js';
import { openReadOnly } from '../store/index-read.js';
import { artifactPath, BOOKKEEPING, FILES, INDEX_FILE, readJson } from '../store/artifacts.js';
import { shownStatus } from '../store/status.js';
import { identifyStored } from '../experiments/stored-identity.js';
import { ioError, sqliteAsErrno } from '../store/faults.js';
import { SprigError } from '../util/errors.js';
/** Extra JSON files bigger than this are listed but not parsed (they would stall the page). */
const MAX_JSON_BYTES = 8 * 1024 * 1024;

export interface RunFilter {
  kind?: string;
  status?: string;
  /** Include nested runs (lottery levels, branches, bootstrap worlds). */
  all?: boolean;
  /** Only the runs of this sweep (`sprig sweep`), by id or name. */
  sweep?: string;
}

export interface RunFile {
  name: string;
  bytes: number;
}

export class StoreReader {
  readonly root: string;
  private readonly db: Database.Database;
  private readonly copy?: string;

  constructor(root: string) {
    this.root = resolve(root);
    const path = join(this.root, INDEX_FILE);
    if (!existsSync(path))
      throw new SprigError(
        `${this.root} has no run index yet (${INDEX_FILE} is missing)`,
        'run an experiment first (e.g. `sprig train --dataset synthetic --model mlp_32`), or pass --root DIR (or SPRIG_ROOT) of an existing store',
      );
    try {
      [this.db, this.copy] = openReadOnly(path); // also on a read-only disk
    } catch (e) {
      throw ioError('open the run index', path, sqliteAsErrno(e)); // a full disk, named as one
    }
  }

  list(filter: RunFilter = {}): (RunRow & { sweeps: string[] })[] {
    const where: string[] = filter.all ? [] : ['parent IS NULL'];
    const args: string[] = [];
    if (filter.kind) {
      where.push('kind = ?');
      args.push(filter.kind);
    }
    const sql = `SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at`;
    // The status filter applies to the shown status (corrupt, interrupted are not what the index says).
    const rows = (this.db.prepare(sql).all(...args) as Record<string, string>[])
      .map(this.row)
      .map(this.live)
      .filter((r) => !filter.status || r.status === filter.status);
    // Parents that only exist as directories belong to the top level.
    const extra = this.directoryRuns().filter(
      (r) => (!filter.kind || r.kind === filter.kind) && (!filter.status || r.status === filter.status),
    );
    const sweeps = this.sweeps();
    const tagged = [...rows, ...extra].map((r) => ({ ...r, sweeps: sweeps.get(r.runId) ?? [] }));
    if (!filter.sweep) return tagged;
    const names = this.sweepNames();
    return tagged.filter((r) => r.sweeps.some((id) => id === filter.sweep || names.get(id) === filter.sweep));
  }

  /** The sweeps each run belongs to (a run can be in several), by id; none before any `sprig sweep`. */
  sweeps(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const table = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sweep_runs'";
    if (!this.db.prepare(table).get()) return out;
    const rows = this.db.prepare('SELECT sweep_id, run_id FROM sweep_runs ORDER BY sweep_id').all() as {
      sweep_id: string;
      run_id: string;
    }[];
    for (const r of rows) out.set(r.run_id, [...(out.get(r.run_id) ?? []), r.sweep_id]);
    return out;
  }

  /** Each sweep's status as its submitter last saved it (sweep/state.ts), by id, with when. */
  sweepStatuses(): { sweepId: string; status: unknown; updatedAt: string }[] {
    const table = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sweep_status'";
    if (!this.db.prepare(table).get()) return [];
    const rows = this.db.prepare('SELECT sweep_id, status, updated_at FROM sweep_status').all() as {
      sweep_id: string;
      status: string;
      updated_at: string;
    }[];
    return rows.map((r) => ({ sweepId: r.sweep_id, status: JSON.parse(r.status), updatedAt: r.updated_at }));
  }

  /** Each sweep's name (its file's name, or `name:` in it) by id, for labels. */
  sweepNames(): Map<string, string> {
    const table = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sweeps'";
    if (!this.db.prepare(table).get()) return new Map();
    const rows = this.db.prepare('SELECT sweep_id, name FROM sweeps').all() as {
      sweep_id: string;
      name: string;
    }[];
    return new Map(rows.map((r) => [r.sweep_id, r.name]));
  }

  /** A run by its exact id, or by a unique prefix. */
  get(id: string): RunRow | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE run_id = ?').get(id) as
      Record<string, string> | undefined;
    if (row) return this.live(this.row(row));
    const dirRun = this.directoryRuns().find((r) => r.runId === id);
    if (dirRun) return dirRun;
    const found = unique(this.findByPrefix(id));
    return found && this.live(found);
  }

  private row = (r: Record<string, string>): RunRow => toRow(r, this.root);

  /** The status its directory, files and owner's lock say, as `sprig runs` shows it (a dead owner's run is `interrupted`). */
  private live = (row: RunRow): RunRow => ({
    ...row,
    status: shownStatus(row, this.dir(row), identifyStored),
  });

  findByPrefix(prefix: string): RunRow[] {
    const rows = (
      this.db
        .prepare("SELECT * FROM runs WHERE run_id LIKE ? || '%' ESCAPE '\\' ORDER BY created_at")
        .all(escapeLike(prefix)) as Record<string, string>[]
    ).map(this.row);
    const known = new Set(rows.map((r) => r.runId));
    return [
      ...rows,
      ...this.directoryRuns().filter((r) => r.runId.startsWith(prefix) && !known.has(r.runId)),
    ];
  }

  /** Runs whose parent is `id` (levels of a lottery experiment, worlds of a bootstrap). */
  children(id: string): RunRow[] {
    return (
      this.db.prepare('SELECT * FROM runs WHERE parent = ? ORDER BY created_at').all(id) as Record<
        string,
        string
      >[]
    ).map(this.row);
  }

  metrics(runId: string): MetricRow[] {
    return queryMetrics(this.db, runId);
  }

  /** The run's directory: where its result says, else <root>/<runId>; undefined when there is none. */
  dir(row: RunRow): string | undefined {
    const stated = row.result?.runDir;
    const candidates = [
      row.dir ?? undefined,
      typeof stated === 'string' ? stated : undefined,
      join(this.root, row.runId),
    ];
    for (const c of candidates) if (c && isDir(c)) return resolve(c);
    return undefined;
  }

  /** JSON files a run directory holds besides hparams.json (its curves, reports). */
  files(row: RunRow): RunFile[] {
    const dir = this.dir(row);
    if (!dir) return [];
    return readdirSync(dir)
      .filter((n) => n.endsWith('.json') && !BOOKKEEPING.has(n))
      .sort()
      .map((name) => ({ name, bytes: statSync(join(dir, name)).size }));
  }

  /** One JSON file of a run; undefined when it is missing, too big or not JSON. */
  readJson(row: RunRow, name: string): unknown {
    const dir = this.dir(row);
    if (!dir) return undefined;
    const path = resolve(dir, name);
    if (!path.startsWith(dir + sep) || !existsSync(path) || statSync(path).size > MAX_JSON_BYTES)
      return undefined;
    try {
      return readJson(path);
    } catch {
      return undefined; // damaged: the run shows as corrupt, and the page shows it without the file
    }
  }

  close(): void {
    this.db.close();
    if (this.copy) rmSync(this.copy, { recursive: true, force: true });
  }

  private indexed(runId: string): boolean {
    return this.db.prepare('SELECT 1 FROM runs WHERE run_id = ?').get(runId) !== undefined;
  }

  /**
   * Directories at the root with hparams.json that the index does not list: experiments whose parent
   * row is not recorded. Their kind is the id's prefix (`bootstrap_<hash>` → bootstrap).
   */
  /** Experiment parents that exist only as directories (no index row), of one kind or all. */
  unindexed(kind?: string): RunRow[] {
    return this.directoryRuns().filter((r) => !kind || r.kind === kind);
  }

  private directoryRuns(): RunRow[] {
    const out: RunRow[] = [];
    for (const e of readdirSync(this.root, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const dir = join(this.root, e.name);
      const hpPath = artifactPath(dir, 'hparams');
      if (!existsSync(hpPath) || this.indexed(e.name)) continue;
      const json = (n: string) => {
        try {
          return readJson<Record<string, unknown>>(join(dir, n)) ?? null;
        } catch {
          return null;
        }
      };
      const reports = readdirSync(dir).filter((n) => n.endsWith('.json') && !BOOKKEEPING.has(n));
      const result = json(FILES.result);
      const st = statSync(hpPath);
      const updated = Math.max(st.mtimeMs, ...reports.map((n) => statSync(join(dir, n)).mtimeMs));
      out.push({
        runId: e.name,
        kind: /^(.*)_[0-9a-f]{8,}$/.exec(e.name)?.[1] ?? 'unknown',
        status: reports.length ? 'finished' : 'running',
        parent: null,
        hparams: json(FILES.hparams) ?? {},
        result: result ?? (reports.length ? { report: reports[0] } : null),
        createdAt: st.mtime.toISOString(),
        updatedAt: new Date(updated).toISOString(),
      });
    }
    return out;
  }
}

/**
 * The one run a prefix means: the only match, or else the only top-level match (a lottery id's
 * prefix also matches its levels, `<id>.r0.L1`, …, which are nested under it).
 */
export function unique(found: RunRow[]): RunRow | undefined {
  if (found.length === 1) return found[0];
  const top = found.filter((r) => r.parent === null);
  return top.length === 1 ? top[0] : undefined;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c);

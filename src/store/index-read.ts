/**
 * The dashboard's read-only connection to the store's index. Apart from index-db.ts, so that the
 * library's public types (RunStore, RunIndex) do not name better-sqlite3's.
 */
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INDEX_FILE } from './names.js';

/**
 * Opens the index without writing anything. A WAL database on a read-only disk cannot be opened in
 * place (SQLite needs its -shm file), so then a private copy in the temp directory is read.
 */
export function openReadOnly(path: string): [Database.Database, string?] {
  if (!existsSync(path)) throw Object.assign(new Error(`ENOENT: no such file, ${path}`), { code: 'ENOENT' });
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return [db];
  } catch (e) {
    if ((e as { code?: string }).code !== 'SQLITE_CANTOPEN') throw e;
  }
  const copy = mkdtempSync(join(tmpdir(), 'sprig-index-'));
  for (const ext of ['', '-wal'])
    if (existsSync(path + ext)) copyFileSync(path + ext, join(copy, INDEX_FILE + ext));
  const db = new Database(join(copy, INDEX_FILE));
  db.pragma('query_only = ON');
  return [db, copy];
}

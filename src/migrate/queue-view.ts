/**
 * What the outbox reader gets from migrate: a view of the snapshot in which each SQLite store is
 * a small database holding its queue tables and small bookkeeping tables with their rows, and every
 * other table with its schema but without rows. The outbox reader also loads the state of every
 * record (for lint), which migrate does not need and which, for a million-row table, costs more
 * than the whole migration; the queues themselves are read exactly as from the real store. The
 * views live in the snapshot's own temp folder and keep each store's path, so ops name the real
 * store.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { detectQueueShape, listTables, tableColumns } from '../outbox/sqlite-queues.js';
import { openSqlite } from '../readers/sqlite-open.js';
import { headerSaysWal, quoteIdent } from '../readers/sqlite.js';
import type { Snapshot, StoreRef } from '../snapshot/types.js';

/** Tables up to this many rows are copied whole (bookkeeping: sync_state, local_storage, …). */
const SMALL_TABLE_ROWS = 10_000;

export interface QueueView {
  stores: StoreRef[];
  /** Stores whose header says WAL mode but whose `-wal` is missing (their newest writes are gone). */
  walMissing: string[];
}

export function queueView(snapshot: Snapshot): QueueView {
  const walMissing: string[] = [];
  const stores = snapshot.stores.map((store) => {
    if (store.kind !== 'sqlite') return store;
    if (store.companions.wal === undefined && store.companions.shm !== undefined && headerSaysWal(store.localPath)) walMissing.push(store.path);
    return { ...store, localPath: writeView(store), companions: {} };
  });
  return { stores, walMissing };
}

function writeView(store: StoreRef): string {
  const dir = join(dirname(store.localPath), '.migrate-queue-view');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${basename(store.localPath)}-${Buffer.from(store.path).toString('hex').slice(0, 32)}`);
  rmSync(path, { force: true });
  const src = openSqlite(store);
  const view = new Database(path);
  try {
    view.pragma('journal_mode = OFF');
    const schemas = src
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql IS NOT NULL ORDER BY name")
      .all() as Array<{ name: string; sql: string }>;
    const queues = new Set(listTables(src).filter((t) => detectQueueShape(t, tableColumns(src, t)) !== null));
    view.transaction(() => {
      for (const { name, sql } of schemas) {
        view.exec(sql);
        const q = quoteIdent(name);
        const small = (src.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM ${q} LIMIT ${SMALL_TABLE_ROWS + 1})`).get() as { n: number }).n <= SMALL_TABLE_ROWS;
        if (!queues.has(name) && !small) continue;
        // rowids are kept (queues without a sequence column are read in rowid order)
        const cols = [
          ...(/without\s+rowid/i.test(sql) ? [] : ['rowid']),
          ...(src.prepare(`PRAGMA table_info(${q})`).all() as Array<{ name: string }>).map((c) => quoteIdent(c.name)),
        ];
        const insert = view.prepare(`INSERT INTO ${q} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
        for (const row of src.prepare(`SELECT ${cols.join(', ')} FROM ${q}`).raw().iterate() as Iterable<unknown[]>) insert.run(row);
      }
    })();
  } finally {
    view.close();
    src.close();
  }
  return path;
}

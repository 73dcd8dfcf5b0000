/**
 * Maps a SQLite file onto collections: the unified database through the schema's own column
 * kinds, anything else through a small legacy adapter (one table per collection, `id`/primary key
 * as the record id, snake_case columns as camelCase fields, `*_json` columns parsed, a
 * `sync_status`/`_status` of `deleted` read as a tombstone at `updated_at`). The legacy adapter
 * stands in until migrate's profile mapping is wired in as the snapshot source; it deliberately
 * ignores MMKV and AsyncStorage layers, which only the profiles know how to merge.
 */
import type Database from 'better-sqlite3';
import { quoteIdent } from '../../readers/sqlite.js';
import { COLLECTION_TABLES } from '../../schema/index.js';
import { camelCase } from '../canonical.js';
import type { FieldKind } from '../row-encoder.js';
import type { TableSpec } from '../table-scan.js';
import { recordsRowRecord, unifiedTableSpec } from '../unified.js';
import type { LogicalRecord } from '../canonical.js';

/** Tables that hold queues, sync bookkeeping or framework state, never a collection. */
const NOT_COLLECTIONS = new Set([
  'outbox',
  'sync_queue',
  'sync_metadata',
  'local_storage',
  'migration_log',
  '__drizzle_migrations',
  'android_metadata',
  'sqlite_sequence',
  'catalystLocalStorage',
  'records',
]);
/** WatermelonDB bookkeeping columns: local sync state, not the user's data. */
const BOOKKEEPING_COLUMNS = new Set(['_status', '_changed']);

interface ColumnInfo {
  name: string;
  type: string;
  pk: number;
}

function tableNames(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map(
    (r) => r.name,
  );
}

function columnsOf(db: Database.Database, table: string): ColumnInfo[] {
  return db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as ColumnInfo[];
}

function hasRowid(db: Database.Database, table: string): boolean {
  try {
    db.prepare(`SELECT rowid FROM ${quoteIdent(table)} LIMIT 0`).get();
    return true;
  } catch {
    return false;
  }
}

/** True when the file is a unified database written by `syncdoc migrate` (or the same schema). */
export function isUnifiedDatabase(db: Database.Database): boolean {
  const tables = new Set(tableNames(db));
  if (!tables.has('sync_queue') || !tables.has('migration_log')) return false;
  return columnsOf(db, 'sync_queue').some((c) => c.name === 'record_client_id');
}

export interface UnifiedLayout {
  specs: TableSpec[];
  /** Collections kept in the generic `records` table, read by a scan. */
  scans: Record<string, (db: Database.Database) => Iterable<LogicalRecord>>;
}

export function unifiedLayout(db: Database.Database): UnifiedLayout {
  const tables = new Set(tableNames(db));
  const specs = Object.keys(COLLECTION_TABLES)
    .map((c) => unifiedTableSpec(c))
    .filter((s): s is TableSpec => s !== undefined && tables.has(s.table));
  const scans: UnifiedLayout['scans'] = {};
  if (tables.has('records')) {
    const names = db.prepare('SELECT DISTINCT collection FROM records ORDER BY collection').pluck().all() as string[];
    for (const name of names) {
      scans[name] = function* (conn) {
        const stmt = conn.prepare('SELECT * FROM records WHERE collection = ?');
        for (const row of stmt.iterate(name) as IterableIterator<Record<string, unknown>>) yield recordsRowRecord(row);
      };
    }
  }
  return { specs, scans };
}

function kindOf(declared: string): FieldKind {
  const t = declared.toUpperCase();
  if (t.includes('INT')) return 'integer';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'real';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'text';
  return 'any';
}

/** Table specs of a legacy SQLite file: every table that looks like a collection. */
export function legacyTableSpecs(db: Database.Database): { specs: TableSpec[]; skipped: string[] } {
  const specs: TableSpec[] = [];
  const skipped: string[] = [];
  for (const table of tableNames(db)) {
    if (NOT_COLLECTIONS.has(table)) continue;
    const cols = columnsOf(db, table);
    const pks = cols.filter((c) => c.pk > 0);
    const idCol =
      pks.length === 1 && kindOf(pks[0]!.type) !== 'integer'
        ? pks[0]!.name
        : (cols.find((c) => c.name === 'id' || c.name === 'client_id')?.name ?? (pks.length === 1 ? pks[0]!.name : undefined));
    if (idCol === undefined) {
      skipped.push(table);
      continue;
    }
    const names = new Set(cols.map((c) => c.name));
    const columns: TableSpec['columns'] = [];
    for (const c of cols) {
      if (c.name === idCol || BOOKKEEPING_COLUMNS.has(c.name)) continue;
      const json = /_json$/.test(c.name);
      columns.push({
        sql: quoteIdent(c.name),
        field: camelCase(json ? c.name.replace(/_json$/, '') : c.name),
        kind: json ? 'json' : kindOf(c.type),
      });
    }
    const statusCol = ['sync_status', '_status'].find((s) => names.has(s));
    if (!names.has('deleted_at') && statusCol !== undefined) {
      // a legacy tombstone carries no delete time of its own; its last update is the delete
      const when = names.has('updated_at') ? quoteIdent('updated_at') : '1';
      columns.push({ sql: `CASE WHEN ${quoteIdent(statusCol)} = 'deleted' THEN ${when} END`, field: 'deletedAt', kind: 'integer' });
    }
    specs.push({ collection: table, table, idSql: quoteIdent(idCol), columns, hasRowid: hasRowid(db, table) });
  }
  return { specs, skipped };
}

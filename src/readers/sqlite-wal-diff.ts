/**
 * The rows that exist only because of the WAL: the database read with its `-wal` is compared with
 * the main file read alone (a private copy with the WAL switched off, see `openSqliteWithoutWal`),
 * table by table, by primary key. The comparison runs inside SQLite (the main-file copy is ATTACHed
 * read-only to the connection that sees the WAL), so memory stays flat whatever the table size; only
 * the first `limit` keys per table and kind are listed, the counts are always complete.
 */
import type { SqliteDb } from './sqlite-open.js';
import { quoteIdent, type SqliteSchema } from './sqlite.js';

/** A primary-key value; an array for composite keys. */
export type RowKey = unknown;

export interface WalRowUpdate {
  key: RowKey;
  /** Only the columns whose value differs between the main file and the WAL. */
  changes: Record<string, { mainFile: unknown; withWal: unknown }>;
}

export interface WalTableDiff {
  table: string;
  /** The key the rows are listed by: the declared primary key, or `rowid` when it has none (or NULLs). */
  keyColumns: string[];
  insertedCount: number;
  updatedCount: number;
  deletedCount: number;
  inserted: RowKey[];
  updated: WalRowUpdate[];
  deleted: RowKey[];
  /** The table exists in only one of the two versions (created or dropped in the WAL). */
  tableOnlyIn?: 'main-file' | 'with-wal';
  /** More rows changed than listed (see `limit`). */
  listTruncated: boolean;
}

const ALIAS = 'syncdoc_main_file';

export function diffWalOnlyRows(withWal: SqliteDb, mainFilePath: string, schema: SqliteSchema, limit = 1000): WalTableDiff[] {
  withWal.prepare(`ATTACH DATABASE ? AS ${ALIAS}`).run(mainFilePath);
  try {
    const mainTables = new Set(
      (
        withWal
          .prepare(`SELECT name FROM ${ALIAS}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`)
          .all() as Array<{ name: string }>
      ).map((r) => r.name),
    );
    const diffs: WalTableDiff[] = [];
    for (const table of schema.tables) {
      const diff = mainTables.has(table.name)
        ? diffTable(withWal, table.name, table.primaryKey, limit)
        : wholeTable(withWal, 'main', table.name, table.primaryKey, 'with-wal', limit);
      mainTables.delete(table.name);
      if (diff.insertedCount + diff.updatedCount + diff.deletedCount > 0 || diff.tableOnlyIn) diffs.push(diff);
    }
    for (const dropped of [...mainTables].sort()) {
      diffs.push(wholeTable(withWal, ALIAS, dropped, primaryKeyOf(withWal, ALIAS, dropped), 'main-file', limit));
    }
    return diffs;
  } finally {
    withWal.prepare(`DETACH DATABASE ${ALIAS}`).run();
  }
}

function diffTable(db: SqliteDb, table: string, declaredKey: string[], limit: number): WalTableDiff {
  const t = quoteIdent(table);
  const keyColumns = usableKey(db, table, declaredKey);
  const keySql = (alias: string): string => keyColumns.map((k) => `${alias}.${k === 'rowid' ? 'rowid' : quoteIdent(k)}`).join(', ');
  const join = keyColumns.map((k) => (k === 'rowid' ? 'o.rowid = m.rowid' : `o.${quoteIdent(k)} = m.${quoteIdent(k)}`)).join(' AND ');
  const common = commonColumns(db, table);

  const inserted = collectKeys(
    db.prepare(
      `SELECT ${keySql('m')} FROM main.${t} m WHERE NOT EXISTS (SELECT 1 FROM ${ALIAS}.${t} o WHERE ${join}) ORDER BY ${keySql('m')}`,
    ),
    limit,
  );
  const deleted = collectKeys(
    db.prepare(
      `SELECT ${keySql('o')} FROM ${ALIAS}.${t} o WHERE NOT EXISTS (SELECT 1 FROM main.${t} m WHERE ${join}) ORDER BY ${keySql('o')}`,
    ),
    limit,
  );
  const pairs = common.map((c, i) => `m.${quoteIdent(c)} AS m${i}, o.${quoteIdent(c)} AS o${i}`).join(', ');
  const differs = common.map((c) => `m.${quoteIdent(c)} IS NOT o.${quoteIdent(c)}`).join(' OR ') || '0';
  const updatedStmt = db.prepare(
    `SELECT ${keySql('m')}, ${pairs || 'NULL AS m0'} FROM main.${t} m JOIN ${ALIAS}.${t} o ON ${join} WHERE ${differs} ORDER BY ${keySql('m')}`,
  );
  const updated: WalRowUpdate[] = [];
  let updatedCount = 0;
  for (const row of updatedStmt.raw().iterate() as Iterable<unknown[]>) {
    updatedCount++;
    if (updated.length >= limit) continue;
    const key = keyOf(row.slice(0, keyColumns.length));
    const changes: WalRowUpdate['changes'] = {};
    common.forEach((c, i) => {
      const before = row[keyColumns.length + 2 * i + 1];
      const after = row[keyColumns.length + 2 * i];
      if (!sameValue(before, after)) changes[c] = { mainFile: plain(before), withWal: plain(after) };
    });
    updated.push({ key, changes });
  }
  return {
    table,
    keyColumns,
    insertedCount: inserted.count,
    updatedCount,
    deletedCount: deleted.count,
    inserted: inserted.keys,
    updated,
    deleted: deleted.keys,
    listTruncated: inserted.count > limit || deleted.count > limit || updatedCount > limit,
  };
}

function wholeTable(
  db: SqliteDb,
  schemaName: string,
  table: string,
  declaredKey: string[],
  onlyIn: 'main-file' | 'with-wal',
  limit: number,
): WalTableDiff {
  const keyColumns = usableKey(db, table, declaredKey, schemaName);
  const keySql = keyColumns.map((k) => (k === 'rowid' ? 'rowid' : quoteIdent(k))).join(', ');
  const rows = collectKeys(db.prepare(`SELECT ${keySql} FROM ${schemaName}.${quoteIdent(table)} ORDER BY ${keySql}`), limit);
  const added = onlyIn === 'with-wal';
  return {
    table,
    keyColumns,
    insertedCount: added ? rows.count : 0,
    updatedCount: 0,
    deletedCount: added ? 0 : rows.count,
    inserted: added ? rows.keys : [],
    updated: [],
    deleted: added ? [] : rows.keys,
    tableOnlyIn: onlyIn,
    listTruncated: rows.count > limit,
  };
}

/** The declared primary key when it identifies rows (no NULLs in either version), else rowid. */
function usableKey(db: SqliteDb, table: string, declaredKey: string[], schemaName?: string): string[] {
  if (declaredKey.length === 0) return ['rowid'];
  const anyNull = declaredKey.map((k) => `${quoteIdent(k)} IS NULL`).join(' OR ');
  const schemas = schemaName ? [schemaName] : ['main', ALIAS];
  for (const s of schemas) {
    if (db.prepare(`SELECT 1 FROM ${s}.${quoteIdent(table)} WHERE ${anyNull} LIMIT 1`).get() !== undefined) return ['rowid'];
  }
  return declaredKey;
}

function primaryKeyOf(db: SqliteDb, schemaName: string, table: string): string[] {
  return (db.prepare(`PRAGMA ${schemaName}.table_info(${quoteIdent(table)})`).all() as Array<{ name: string; pk: number }>)
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
}

function commonColumns(db: SqliteDb, table: string): string[] {
  const cols = (schemaName: string): string[] =>
    (db.prepare(`PRAGMA ${schemaName}.table_info(${quoteIdent(table)})`).all() as Array<{ name: string }>).map((c) => c.name);
  const inMain = new Set(cols(ALIAS));
  return cols('main').filter((c) => inMain.has(c));
}

function collectKeys(stmt: ReturnType<SqliteDb['prepare']>, limit: number): { keys: RowKey[]; count: number } {
  const keys: RowKey[] = [];
  let count = 0;
  for (const row of stmt.raw().iterate() as Iterable<unknown[]>) {
    count++;
    if (keys.length < limit) keys.push(keyOf(row));
  }
  return { keys, count };
}

function keyOf(values: unknown[]): RowKey {
  return values.length === 1 ? plain(values[0]) : values.map(plain);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}

/** Blobs are summarised: a report prints facts about rows, not binary payloads. */
function plain(v: unknown): unknown {
  return Buffer.isBuffer(v) ? `‹blob ${v.length} bytes›` : v;
}

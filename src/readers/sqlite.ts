/**
 * The SQLite store reader: schema (tables, columns, indexes, primary keys), row counts, and the
 * database-level facts a sync diagnosis needs (`user_version`, journal mode, page size, quick_check,
 * what the file header says). Works on an open read-only connection to a private copy; it never
 * writes. Each step that can fail on a damaged file is isolated, so one unreadable table is reported
 * and the rest is still read.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { StoreRef } from '../snapshot/types.js';
import type { SqliteDb } from './sqlite-open.js';

export interface SqliteColumn {
  name: string;
  type: string;
  notNull: boolean;
  /** 1-based position in the primary key, 0 when not part of it. */
  primaryKeyPosition: number;
}

export interface SqliteIndex {
  name: string;
  unique: boolean;
  columns: string[];
}

export interface SqliteTable {
  name: string;
  /** null when counting failed (damaged pages, missing virtual-table module). */
  rowCount: number | null;
  columns: SqliteColumn[];
  indexes: SqliteIndex[];
  primaryKey: string[];
}

export interface SqliteHeader {
  pageSize: number;
  /** Bytes 18/19 = 2: the database is in WAL mode. */
  saysWal: boolean;
  /** Database size in pages claimed by the header, when the header marks it valid. */
  pageCount: number | null;
  /** The file is shorter than the header says it should be. */
  truncated: boolean;
}

export interface SqliteSchema {
  userVersion: number;
  journalMode: string;
  pageSize: number;
  pageCount: number;
  encoding: string;
  /** `ok`, or the problems PRAGMA quick_check listed (at most 20). */
  quickCheck: string[];
  tables: SqliteTable[];
  /** Problems met while reading (per table), as text; turned into findings by the caller. */
  problems: Array<{ table?: string; message: string }>;
}

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** A SQL string literal (for SQL built once per table, where a bound parameter cannot go). */
export function quoteLiteral(text: string): string {
  return "'" + text.replace(/'/g, "''") + "'";
}

/** Parses the 100-byte database header (sqlite.org/fileformat2.html §1.3). */
export function parseSqliteHeader(head: Buffer, fileSizeBytes: number): SqliteHeader {
  const raw = head.length >= 18 ? head.readUInt16BE(16) : 0;
  const pageSize = raw === 1 ? 65536 : raw;
  const saysWal = head.length >= 20 && head[18] === 2 && head[19] === 2;
  let pageCount: number | null = null;
  if (head.length >= 100 && head.readUInt32BE(24) === head.readUInt32BE(92)) pageCount = head.readUInt32BE(28) || null;
  const truncated = head.length < 100 || (pageCount !== null && pageSize > 0 && fileSizeBytes < pageCount * pageSize);
  return { pageSize, saysWal, pageCount, truncated };
}

/** Whether a database file's header says WAL mode (checked on the file, without opening it). */
export function headerSaysWal(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(100);
    const n = readSync(fd, head, 0, 100, 0);
    return parseSqliteHeader(head.subarray(0, n), fstatSync(fd).size).saysWal;
  } finally {
    closeSync(fd);
  }
}

/**
 * A SQLite store whose header says WAL mode, exported with its `-shm` but without its `-wal`: its
 * newest writes are gone. (A cleanly closed WAL database has neither companion.)
 */
export function walFileMissing(store: Pick<StoreRef, 'kind' | 'companions' | 'localPath'>): boolean {
  return store.kind === 'sqlite' && store.companions.wal === undefined && store.companions.shm !== undefined && headerSaysWal(store.localPath);
}

export function readSqliteSchema(db: SqliteDb): SqliteSchema {
  const problems: SqliteSchema['problems'] = [];
  const pragma = <T>(name: string, fallback: T): T => {
    try {
      return db.pragma(name, { simple: true }) as T;
    } catch (err) {
      problems.push({ message: `PRAGMA ${name} failed: ${messageOf(err)}` });
      return fallback;
    }
  };
  const userVersion = pragma<number>('user_version', 0);
  const journalMode = pragma<string>('journal_mode', 'unknown');
  const pageSize = pragma<number>('page_size', 0);
  const pageCount = pragma<number>('page_count', 0);
  const encoding = pragma<string>('encoding', 'unknown');
  let quickCheck: string[];
  try {
    quickCheck = (db.pragma('quick_check(20)') as Array<{ quick_check: string }>).map((r) => r.quick_check);
  } catch (err) {
    quickCheck = [messageOf(err)];
  }
  const names = (
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
      .all() as Array<{
      name: string;
    }>
  ).map((r) => r.name);
  const tables = names.map((name) => readTable(db, name, problems));
  return { userVersion, journalMode, pageSize, pageCount, encoding, quickCheck, tables, problems };
}

function readTable(db: SqliteDb, name: string, problems: SqliteSchema['problems']): SqliteTable {
  const q = quoteIdent(name);
  let columns: SqliteColumn[] = [];
  let indexes: SqliteIndex[] = [];
  let rowCount: number | null = null;
  try {
    columns = (db.prepare(`PRAGMA table_info(${q})`).all() as Array<{ name: string; type: string; notnull: number; pk: number }>).map(
      (c) => ({
        name: c.name,
        type: c.type,
        notNull: c.notnull === 1,
        primaryKeyPosition: c.pk,
      }),
    );
    indexes = (db.prepare(`PRAGMA index_list(${q})`).all() as Array<{ name: string; unique: number }>).map((ix) => ({
      name: ix.name,
      unique: ix.unique === 1,
      columns: (db.prepare(`PRAGMA index_info(${quoteIdent(ix.name)})`).all() as Array<{ name: string | null }>).map(
        (c) => c.name ?? '(expression)',
      ),
    }));
  } catch (err) {
    problems.push({ table: name, message: `cannot read the table's schema: ${messageOf(err)}` });
  }
  try {
    rowCount = (db.prepare(`SELECT count(*) AS n FROM ${q}`).get() as { n: number }).n;
  } catch (err) {
    problems.push({ table: name, message: `cannot count rows: ${messageOf(err)}` });
  }
  const primaryKey = columns
    .filter((c) => c.primaryKeyPosition > 0)
    .sort((a, b) => a.primaryKeyPosition - b.primaryKeyPosition)
    .map((c) => c.name);
  return { name, rowCount, columns, indexes, primaryKey };
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

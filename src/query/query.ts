/**
 * `syncdoc query <snapshot> <sql>`: read-only SQL over a whole snapshot. The MMKV, AsyncStorage and
 * collection tables are written once into a private SQLite file, which is then reopened read-only;
 * every SQLite store's private copy is attached to that read-only connection under a safe schema
 * name, so it is read-only too (SQLite opens attached files with the main connection's flags).
 * Only statements that return rows run. The user's files are never opened: openSnapshot copies them.
 */
import Database from 'better-sqlite3';
import { join, basename } from 'node:path';
import { readFileSync } from 'node:fs';
import { isSyncdocError, UsageError } from '../errors.js';
import type { Finding } from '../findings.js';
import { createRedactor, type Redactor } from '../privacy/redact.js';
import { isAndroidAsyncStorage, readAndroidAsyncStorage, readIosAsyncStorage, type AsyncStorageStore } from '../readers/asyncstorage.js';
import { readMmkvInstance, type MmkvDecodeOptions } from '../readers/mmkv.js';
import { openSqlite } from '../readers/sqlite-open.js';
import { openSnapshot } from '../snapshot/open.js';
import { makeTempDir, removeTempDir } from '../snapshot/temp.js';
import type { Snapshot } from '../snapshot/types.js';
import { asyncStorageTable, collectionTable, mmkvTable, NameAllocator, type QueryTable, type SqlValue } from './tables.js';
import { quoteIdent } from '../readers/sqlite.js';

export interface QueryOptions {
  /** Key and AES size for encrypted MMKV instances. */
  mmkv?: Pick<MmkvDecodeOptions, 'key' | 'aesBits'>;
  redact?: boolean;
}

export interface AttachedStore {
  schema: string;
  store: string;
}

export interface QueryTableInfo {
  name: string;
  kind: QueryTable['kind'] | 'sqlite';
  store: string;
  source: string;
  rows: number | null;
}

export type QueryCell = string | number | bigint | null;

export interface QueryReport {
  verdict: 'ok';
  columns: string[];
  rows: QueryCell[][];
  rowCount: number;
  /** Every table and attached database the SQL could use. */
  tables: QueryTableInfo[];
  findings: Finding[];
}

export interface QueryDatabase {
  db: Database.Database;
  tables: QueryTableInfo[];
  findings: Finding[];
  close(): void;
}

export async function runQuery(input: string | Snapshot, sql: string, opts: QueryOptions = {}): Promise<QueryReport> {
  const snapshot = typeof input === 'string' ? await openSnapshot(input) : input;
  try {
    const qdb = openQueryDatabase(snapshot, opts);
    try {
      return { verdict: 'ok', ...execute(qdb, sql, opts.redact === true ? createRedactor() : undefined), tables: qdb.tables, findings: qdb.findings };
    } finally {
      qdb.close();
    }
  } finally {
    if (typeof input === 'string') snapshot.close();
  }
}

/** Builds the read-only query connection over an opened snapshot. */
export function openQueryDatabase(snapshot: Snapshot, opts: QueryOptions = {}): QueryDatabase {
  const findings: Finding[] = [];
  const tableNames = new NameAllocator(['_tables']);
  const schemaNames = new NameAllocator(['main', 'temp']);
  const tables: QueryTable[] = [];
  const attach: AttachedStore[] = [];
  const addStoreCollections = (store: string, s: Pick<AsyncStorageStore, 'collections'>): void => {
    for (const c of s.collections) tables.push(collectionTable(c, store, tableNames));
  };

  for (const store of snapshot.stores) {
    try {
      if (store.kind === 'sqlite') {
        attach.push({ schema: schemaNames.take(basename(store.path).replace(/\.[^.]*$/, '')), store: store.path });
        const db = openSqlite(store);
        try {
          if (isAndroidAsyncStorage(db)) {
            const as = readAndroidAsyncStorage(db, store.path);
            tables.push(asyncStorageTable(as, tableNames));
            addStoreCollections(store.path, as);
            findings.push(...as.findings);
          }
        } finally {
          db.close();
        }
      } else if (store.kind === 'mmkv') {
        const crc = store.companions.crc === undefined ? undefined : readFileSync(store.companions.crc);
        const inst = readMmkvInstance(readFileSync(store.localPath), crc, { ...opts.mmkv, name: basename(store.path), store: store.path });
        tables.push(mmkvTable(inst, tableNames));
        addStoreCollections(store.path, inst);
        findings.push(...inst.findings.filter((f) => f.severity !== 'info'));
      } else if (store.kind === 'asyncstorage-ios' && store.companions.manifest !== undefined) {
        const as = readIosAsyncStorage(store.companions.manifest, store.path);
        tables.push(asyncStorageTable(as, tableNames));
        addStoreCollections(store.path, as);
        findings.push(...as.findings);
      }
    } catch (err) {
      if (!isSyncdocError(err)) throw err;
      findings.push({ code: 'QUERY_STORE_SKIPPED', severity: 'warn', message: `${err.message}${err.hint ? ` (${err.hint})` : ''}; its tables are missing`, store: store.path });
    }
  }

  const dir = makeTempDir('syncdoc-query-');
  const file = join(dir, 'query.db');
  writeTables(file, tables, attach);
  const db = new Database(file, { readonly: true });
  const info: QueryTableInfo[] = tables.map((t) => ({ name: t.name, kind: t.kind, store: t.store, source: t.source, rows: t.rows.length }));
  for (const a of attach) {
    const ref = snapshot.stores.find((s) => s.path === a.store)!;
    try {
      db.prepare(`ATTACH DATABASE ? AS ${quoteIdent(a.schema)}`).run(ref.localPath);
      db.prepare(`SELECT count(*) FROM ${quoteIdent(a.schema)}.sqlite_master`).get();
      info.push({ name: a.schema, kind: 'sqlite', store: a.store, source: 'attached database', rows: null });
    } catch (err) {
      try {
        db.prepare(`DETACH DATABASE ${quoteIdent(a.schema)}`).run();
      } catch {
        // not attached: nothing to undo
      }
      findings.push({ code: 'QUERY_STORE_SKIPPED', severity: 'warn', message: `cannot attach SQLite store (${err instanceof Error ? err.message : String(err)}); its tables are missing`, store: a.store });
    }
  }
  return {
    db,
    tables: info,
    findings,
    close() {
      db.close();
      removeTempDir(dir);
    },
  };
}

function writeTables(file: string, tables: QueryTable[], attach: AttachedStore[]): void {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    const load = db.transaction(() => {
      db.exec('CREATE TABLE _tables (name TEXT PRIMARY KEY, kind TEXT, store TEXT, source TEXT, rows INTEGER)');
      const index = db.prepare('INSERT INTO _tables VALUES (?, ?, ?, ?, ?)');
      for (const t of tables) {
        index.run(t.name, t.kind, t.store, t.source, t.rows.length);
        if (t.columns.length === 0) {
          db.exec(`CREATE TABLE ${quoteIdent(t.name)} (_empty INTEGER)`);
          continue;
        }
        db.exec(`CREATE TABLE ${quoteIdent(t.name)} (${t.columns.map(quoteIdent).join(', ')})`);
        const insert = db.prepare(`INSERT INTO ${quoteIdent(t.name)} VALUES (${t.columns.map(() => '?').join(', ')})`);
        for (const row of t.rows) insert.run(...row);
      }
      for (const a of attach) index.run(a.schema, 'sqlite', a.store, 'attached database (query it as <name>.<table>)', null);
    });
    load();
  } finally {
    db.close();
  }
}

function execute(qdb: QueryDatabase, sql: string, redactor: Redactor | undefined): { columns: string[]; rows: QueryCell[][]; rowCount: number } {
  const hint = `tables: ${qdb.tables.map((t) => t.name).join(', ')} (see SELECT * FROM _tables)`;
  let stmt: Database.Statement;
  try {
    stmt = qdb.db.prepare(sql);
  } catch (err) {
    throw new UsageError(`SQL error: ${err instanceof Error ? err.message : String(err)}`, { code: 'E_QUERY_SQL', hint });
  }
  if (!stmt.reader) {
    throw new UsageError('query is read-only: only statements that return rows run (SELECT, WITH, read-only PRAGMA)', { code: 'E_QUERY_READ_ONLY', hint });
  }
  let raw: unknown[][];
  try {
    raw = stmt.safeIntegers(true).raw(true).all() as unknown[][];
  } catch (err) {
    throw new UsageError(`SQL error: ${err instanceof Error ? err.message : String(err)}`, { code: 'E_QUERY_SQL', hint });
  }
  const columns = stmt.columns().map((c) => c.name);
  const rows = raw.map((r) => r.map((v, i) => cell(v, columns[i], redactor)));
  return { columns, rows, rowCount: rows.length };
}

function cell(v: unknown, column: string | undefined, redactor: Redactor | undefined): QueryCell {
  let out: QueryCell;
  if (typeof v === 'bigint') out = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  else if (Buffer.isBuffer(v)) out = redactor === undefined ? v.toString('hex') : `‹blob ${v.length} bytes›`; // hex would give redacted text back
  else out = v as SqlValue as QueryCell;
  if (redactor !== undefined && typeof out === 'string') out = redactor.value(out, column) as string;
  return out;
}

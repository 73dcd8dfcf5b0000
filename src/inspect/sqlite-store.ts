/**
 * Inspects one SQLite store of a snapshot: header facts, schema and counts, flavours, sync-status
 * distributions, queue depth, the WAL's structure and the rows that exist only because of it. Every
 * step that may fail on a damaged file is caught and turned into a finding, so one bad store never
 * hides the others. Opens only the private copies the snapshot made.
 */
import { statSync } from 'node:fs';
import type { Finding } from '../findings.js';
import type { Redactor } from '../privacy/redact.js';
import { detectFlavours } from '../readers/sqlite-flavour.js';
import { openSqliteDetailed, openSqliteWithoutWal, type SqliteDb } from '../readers/sqlite-open.js';
import { diffWalOnlyRows, type WalTableDiff } from '../readers/sqlite-wal-diff.js';
import { readWalInfo, type WalInfo } from '../readers/sqlite-wal.js';
import { messageOf, parseSqliteHeader, readSqliteSchema } from '../readers/sqlite.js';
import { readHead } from '../snapshot/detect.js';
import type { StoreRef } from '../snapshot/types.js';
import { readStatusDistributions } from './queues.js';
import type { FlavourMatch, SqliteReport } from './report.js';
import { newestEventTime, type NewestTime } from './timestamps.js';

export interface SqliteStoreResult {
  flavours: FlavourMatch[];
  report: SqliteReport | undefined;
  findings: Finding[];
  newest: NewestTime | null;
}

export interface SqliteStoreContext {
  mmkvStores: number;
  redactor: Redactor;
  /** Max keys listed per table and change kind in the WAL-only diff. */
  walRowLimit: number;
}

export function inspectSqliteStore(store: StoreRef, ctx: SqliteStoreContext): SqliteStoreResult {
  const findings: Finding[] = [];
  const finding = (code: string, severity: Finding['severity'], message: string, ref?: string): void => {
    findings.push({ code, severity, message, store: store.path, ...(ref === undefined ? {} : { ref }) });
  };
  const header = parseSqliteHeader(readHead(store.localPath, 100), statSync(store.localPath).size);
  if (header.truncated) {
    finding(
      'SQLITE_TRUNCATED',
      'error',
      header.pageCount === null
        ? 'the file is shorter than a SQLite header'
        : `the header says ${header.pageCount} pages of ${header.pageSize} bytes but the file has ${store.sizeBytes} bytes`,
    );
  }
  let db: SqliteDb;
  try {
    const opened = openSqliteDetailed(store);
    db = opened.db;
    if (opened.rolledBackJournal) {
      finding(
        'SQLITE_HOT_JOURNAL',
        'warn',
        "a -journal holds a transaction interrupted mid-write; it was rolled back (in syncdoc's copy) as SQLite would on the next open, so its changes are not shown",
        `${store.path}-journal`,
      );
    }
  } catch (err) {
    finding('SQLITE_UNREADABLE', 'error', messageOf(err));
    return { flavours: [], report: undefined, findings, newest: null };
  }
  try {
    return { ...readOpenStore(db, store, header.saysWal, ctx, finding), findings };
  } catch (err) {
    // damage deep inside a table often shows only when its pages are read
    finding('SQLITE_UNREADABLE', 'error', `reading failed: ${messageOf(err)}`);
    return { flavours: [], report: undefined, findings, newest: null };
  } finally {
    db.close();
  }
}

type AddFinding = (code: string, severity: Finding['severity'], message: string, ref?: string) => void;

function readOpenStore(
  db: SqliteDb,
  store: StoreRef,
  headerSaysWal: boolean,
  ctx: SqliteStoreContext,
  finding: AddFinding,
): Omit<SqliteStoreResult, 'findings'> {
  const schema = readSqliteSchema(db);
  for (const p of schema.problems) finding('SQLITE_READ_PROBLEM', 'warn', p.message, p.table);
  if (!(schema.quickCheck.length === 1 && schema.quickCheck[0] === 'ok')) {
    finding('SQLITE_QUICK_CHECK_FAILED', 'error', `quick_check: ${schema.quickCheck.slice(0, 3).join('; ')}`);
  }
  const { flavours, drizzleMigrations } = detectFlavours(db, schema, { mmkvStores: ctx.mmkvStores });
  if (flavours.length === 0) finding('SQLITE_NO_FLAVOUR', 'info', 'no known layout matched; tables and counts are still listed');

  const wal = readWal(store, headerSaysWal, finding);
  const walOnlyRows = wal ? diffAgainstMainFile(db, store, schema, ctx, finding) : null;

  return {
    flavours,
    newest: newestEventTime(db, schema),
    report: {
      userVersion: schema.userVersion,
      journalMode: schema.journalMode,
      headerSaysWal,
      pageSize: schema.pageSize,
      pageCount: schema.pageCount,
      encoding: schema.encoding,
      quickCheck: schema.quickCheck,
      tables: schema.tables.map((t) => ({
        name: t.name,
        rowCount: t.rowCount,
        primaryKey: t.primaryKey,
        columns: t.columns.map((c) => ({ name: c.name, type: c.type, notNull: c.notNull })),
        indexes: t.indexes,
      })),
      statusDistributions: readStatusDistributions(db, schema),
      wal,
      walOnlyRows,
      drizzleMigrations,
    },
  };
}

function readWal(store: StoreRef, headerSaysWal: boolean, finding: AddFinding): WalInfo | null {
  const walPath = store.companions.wal;
  if (walPath === undefined) {
    if (headerSaysWal) {
      // a -shm without its -wal is the classic bad export; neither may also be a clean close
      const why = store.companions.shm
        ? 'a -shm is present, so the database was open: writes not yet checkpointed are missing'
        : 'writes not yet checkpointed are missing unless the app closed the database cleanly';
      finding(
        'SQLITE_WAL_MISSING',
        'warn',
        `the header says WAL mode but there is no ${store.path}-wal beside it; ${why}. Pull the -wal file too`,
      );
    }
    return null;
  }
  const wal = readWalInfo(walPath);
  if (wal.sizeBytes === 0) return null;
  if (!wal.headerValid) {
    finding(
      'SQLITE_WAL_INVALID',
      'warn',
      'the -wal header is invalid: SQLite ignores the file, so the writes in it are not visible',
      `${store.path}-wal`,
    );
  } else if (wal.framesAfterLastCommit > 0) {
    finding(
      'SQLITE_WAL_UNCOMMITTED',
      'warn',
      `${wal.framesAfterLastCommit} frame(s) after the last commit belong to an unfinished transaction and are ignored`,
      `${store.path}-wal`,
    );
  }
  return wal;
}

function diffAgainstMainFile(
  db: SqliteDb,
  store: StoreRef,
  schema: ReturnType<typeof readSqliteSchema>,
  ctx: SqliteStoreContext,
  finding: AddFinding,
): WalTableDiff[] | null {
  let mainFilePath: string;
  try {
    const mainOnly = openSqliteWithoutWal(store);
    mainFilePath = mainOnly.name;
    mainOnly.close();
  } catch (err) {
    finding('SQLITE_READ_PROBLEM', 'warn', `cannot read the main file without its WAL: ${messageOf(err)}`);
    return null;
  }
  const diffs = diffWalOnlyRows(db, mainFilePath, schema, ctx.walRowLimit).map((d) => redactDiff(d, ctx.redactor));
  const total = diffs.reduce((n, d) => n + d.insertedCount + d.updatedCount + d.deletedCount, 0);
  if (total > 0) {
    const parts = diffs.map((d) => `${d.table}: +${d.insertedCount} ~${d.updatedCount} -${d.deletedCount}`);
    finding('SQLITE_WAL_ONLY_ROWS', 'info', `${total} row change(s) exist only in the -wal (${parts.join(', ')})`, `${store.path}-wal`);
  }
  return diffs;
}

/** Changed column values are record content: redacted per column name, keys stay readable. */
function redactDiff(d: WalTableDiff, redactor: Redactor): WalTableDiff {
  return {
    ...d,
    updated: d.updated.map((u) => ({
      key: u.key,
      changes: Object.fromEntries(
        Object.entries(u.changes).map(([col, v]) => [
          col,
          { mainFile: redactor.value(v.mainFile, col), withWal: redactor.value(v.withWal, col) },
        ]),
      ),
    })),
  };
}

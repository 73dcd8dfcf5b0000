/**
 * Opening a snapshot's SQLite stores. Only ever opens syncdoc's private copies (`StoreRef.localPath`),
 * read-only (a hot journal is first rolled back in the copy), so the user's files cannot change.
 * `openSqliteWithoutWal` gives the database as a reader of the main file alone would see it: a second
 * private copy of the main file, alone in its own folder (SQLite reads any `-wal` that sits beside a
 * database, whatever its header says), the basis of the WAL-only row diff.
 */
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, openSync, readSync, writeSync, closeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import type { StoreRef } from '../snapshot/types.js';

export type SqliteDb = Database.Database;

/** Opens a store's private copy (with its `-wal`, when present) read-only. */
export function openSqlite(store: Pick<StoreRef, 'path' | 'localPath'>): SqliteDb {
  return openSqliteDetailed(store).db;
}

/**
 * Like `openSqlite`, and says whether a hot `-journal` (a transaction interrupted mid-write) had to
 * be rolled back first. A read-only connection cannot do that rollback, so it is done once on our
 * private copy, read-write, exactly as the app's SQLite would on its next open; the user's files are
 * untouched.
 */
export function openSqliteDetailed(store: Pick<StoreRef, 'path' | 'localPath'>): { db: SqliteDb; rolledBackJournal: boolean } {
  try {
    return { db: openReadOnly(store.localPath, store.path), rolledBackJournal: false };
  } catch (err) {
    if ((err as { cause?: { code?: unknown } }).cause?.code !== 'SQLITE_READONLY_ROLLBACK') throw err;
  }
  try {
    const rw = new Database(store.localPath, { fileMustExist: true });
    try {
      rw.prepare('SELECT count(*) FROM sqlite_master').get();
    } finally {
      rw.close();
    }
  } catch (err) {
    throw unreadable(err, store.path);
  }
  return { db: openReadOnly(store.localPath, store.path), rolledBackJournal: true };
}

/**
 * Opens the store as its main file alone, ignoring the `-wal`. The copy lives beside the store's own
 * private copy, inside the snapshot's temp folder, so `Snapshot.close()` removes it too.
 */
export function openSqliteWithoutWal(store: Pick<StoreRef, 'path' | 'localPath'>): SqliteDb {
  const dir = uniqueDir(join(dirname(store.localPath), '.without-wal'));
  const copy = join(dir, basename(store.localPath));
  copyFileSync(store.localPath, copy);
  clearWalHeader(copy);
  return openReadOnly(copy, store.path);
}

/**
 * Header bytes 18 and 19 (file format write/read version) are 2 in WAL mode and 1 in rollback mode.
 * Setting them to 1 on the lone copy lets a read-only connection open it without creating a WAL
 * index; what is read is the main file as it is.
 */
function clearWalHeader(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    const head = Buffer.alloc(20);
    if (readSync(fd, head, 0, 20, 0) === 20 && head[18] === 2 && head[19] === 2) {
      writeSync(fd, Buffer.from([1, 1]), 0, 2, 18);
    }
  } finally {
    closeSync(fd);
  }
}

function uniqueDir(base: string): string {
  let dir = base;
  for (let i = 1; existsSync(dir); i++) dir = `${base}-${i}`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function openReadOnly(localPath: string, subject: string): SqliteDb {
  let db: SqliteDb | undefined;
  try {
    db = new Database(localPath, { readonly: true, fileMustExist: true });
    // reading the schema is where "file is not a database" and most corruption first surface
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (err) {
    db?.close();
    throw unreadable(err, subject);
  }
}

function unreadable(err: unknown, subject: string): InputError {
  return new InputError(`cannot open SQLite database (${err instanceof Error ? err.message : String(err)})`, {
    code: 'E_SQLITE_UNREADABLE',
    subject,
    hint: 'the file is corrupt, truncated or encrypted (SQLCipher); pull it again from the device',
    cause: err,
  });
}

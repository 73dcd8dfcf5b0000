// The SQLite reader on databases written here by real SQLite: the WAL-only row diff for every key
// kind (text PK, composite PK, rowid, NULL "primary keys"), tables created and dropped in the WAL,
// WAL frame counting against SQLite's own count, an unfinished transaction spilled into the WAL,
// broken WAL headers, damaged pages, and flavour fingerprints with their evidence.
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectSqliteStore } from '../inspect/sqlite-store.js';
import { NO_REDACTION } from '../privacy/redact.js';
import { openSnapshot } from '../snapshot/open.js';
import type { StoreRef } from '../snapshot/types.js';
import { hashTree, scratchDir } from '../test-support/cli.js';
import { detectFlavours } from './sqlite-flavour.js';
import { openSqlite, openSqliteWithoutWal } from './sqlite-open.js';
import { diffWalOnlyRows } from './sqlite-wal-diff.js';
import { readWalInfo } from './sqlite-wal.js';
import { parseSqliteHeader, readSqliteSchema } from './sqlite.js';

/** Copies a live WAL database (main file + -wal) while its writer is still open, like a device pull. */
function pullWhileOpen(dir: string, name: string, dest: string): void {
  copyFileSync(join(dir, name), join(dest, name));
  if (existsSync(join(dir, `${name}-wal`))) copyFileSync(join(dir, `${name}-wal`), join(dest, `${name}-wal`));
}

function walDatabase(): { dir: string; db: Database.Database } {
  const dir = scratchDir();
  const db = new Database(join(dir, 'app.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  return { dir, db };
}

async function withStore<T>(dir: string, body: (store: StoreRef) => T): Promise<T> {
  const snap = await openSnapshot(dir);
  try {
    const store = snap.stores[0];
    if (!store) throw new Error('no store');
    return body(store);
  } finally {
    snap.close();
  }
}

const CTX = { mmkvStores: 0, redactor: NO_REDACTION, walRowLimit: 100 };

/** inspectSqliteStore on the one store of a pulled folder. */
function inspectDir(dir: string): Promise<ReturnType<typeof inspectSqliteStore>> {
  return withStore(dir, (store) => inspectSqliteStore(store, CTX));
}

/** The WAL-only diff of the one store of a pulled folder. */
function walOnlyRows(dir: string, limit?: number): Promise<ReturnType<typeof diffWalOnlyRows>> {
  return withStore(dir, (store) => {
    const conn = openSqlite(store);
    try {
      const mainOnly = openSqliteWithoutWal(store);
      const path = mainOnly.name;
      mainOnly.close();
      return diffWalOnlyRows(conn, path, readSqliteSchema(conn), limit);
    } finally {
      conn.close();
    }
  });
}

/** A table `t(id, v)` filled with `rows` copies of `value(i)`, in one transaction. */
function fill(db: Database.Database, rows: number, value: (i: number) => string): void {
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(value(i));
  })();
}

describe('WAL-only rows', () => {
  it('lists inserts, updates (changed columns only) and deletes per table, by the right key', async () => {
    const { dir, db } = walDatabase();
    db.exec(`
      CREATE TABLE items (id TEXT PRIMARY KEY, text TEXT, n INTEGER);
      CREATE TABLE pairs (a INTEGER, b TEXT, v TEXT, PRIMARY KEY (a, b));
      CREATE TABLE log (v TEXT);
      CREATE TABLE migrations (id SERIAL PRIMARY KEY, hash TEXT);
      CREATE TABLE old (x);
      INSERT INTO items VALUES ('a', 'alpha', 1), ('b', 'beta', 2), ('c', 'gamma', 3);
      INSERT INTO pairs VALUES (1, 'x', 'one'), (2, 'y', 'two');
      INSERT INTO log VALUES ('first'), ('second');
      INSERT INTO migrations (hash) VALUES ('h1');
      INSERT INTO old VALUES (1);
    `);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.exec(`
      INSERT INTO items VALUES ('d', 'delta', 4);
      UPDATE items SET n = 20 WHERE id = 'b';
      DELETE FROM items WHERE id = 'c';
      UPDATE pairs SET v = 'uno' WHERE a = 1 AND b = 'x';
      INSERT INTO pairs VALUES (2, 'z', 'three');
      DELETE FROM log WHERE v = 'first';
      INSERT INTO migrations (hash) VALUES ('h2');
      CREATE TABLE fresh (k TEXT PRIMARY KEY);
      INSERT INTO fresh VALUES ('k1'), ('k2');
      DROP TABLE old;
    `);
    const dest = scratchDir();
    pullWhileOpen(dir, 'app.db', dest);
    db.close();
    const diffs = await walOnlyRows(dest);
    const byTable = Object.fromEntries(diffs.map((d) => [d.table, d]));
    expect(Object.keys(byTable).sort()).toEqual(['fresh', 'items', 'log', 'migrations', 'old', 'pairs']);
    expect(byTable['items']).toMatchObject({
      keyColumns: ['id'],
      inserted: ['d'],
      deleted: ['c'],
      updated: [{ key: 'b', changes: { n: { mainFile: 2, withWal: 20 } } }],
    });
    expect(byTable['pairs']).toMatchObject({
      keyColumns: ['a', 'b'],
      inserted: [[2, 'z']],
      deleted: [],
      updated: [{ key: [1, 'x'], changes: { v: { mainFile: 'one', withWal: 'uno' } } }],
    });
    expect(byTable['log']).toMatchObject({ keyColumns: ['rowid'], inserted: [], deleted: [1], updatedCount: 0 });
    // drizzle's `id SERIAL PRIMARY KEY` is NULL in every row: rows are told apart by rowid
    expect(byTable['migrations']).toMatchObject({ keyColumns: ['rowid'], inserted: [2], deleted: [] });
    expect(byTable['fresh']).toMatchObject({ tableOnlyIn: 'with-wal', insertedCount: 2, inserted: ['k1', 'k2'] });
    expect(byTable['old']).toMatchObject({ tableOnlyIn: 'main-file', deletedCount: 1 });
  });

  it('lists at most `limit` keys but always counts them all', async () => {
    const { dir, db } = walDatabase();
    fill(db, 0, String);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 50; i++) insert.run(String(i));
    })();
    const dest = scratchDir();
    pullWhileOpen(dir, 'app.db', dest);
    db.close();
    const diff = (await walOnlyRows(dest, 10))[0];
    expect(diff).toMatchObject({ insertedCount: 50, listTruncated: true });
    expect(diff?.inserted).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe('WAL structure', () => {
  it('counts frames and commits the way SQLite does', async () => {
    const { dir, db } = walDatabase();
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    for (let i = 0; i < 7; i++) db.prepare('INSERT INTO t (v) VALUES (?)').run('x'.repeat(3000));
    const wal = readWalInfo(join(dir, 'app.db-wal'));
    // PASSIVE checkpoint reports the WAL's frame count (and copies pages, without resetting the WAL)
    const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)') as [{ log: number }];
    db.close();
    expect(wal).toMatchObject({
      headerValid: true,
      pageSize: 4096,
      validFrames: log,
      framesInFile: log,
      commitFrames: 8,
      framesAfterLastCommit: 0,
    });
    expect(wal.lastCommitFrameIndex).toBe(log - 1);
  });

  it('an unfinished transaction spilled into the WAL: frames after the last commit are reported and ignored', async () => {
    const { dir, db } = walDatabase();
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('committed')");
    db.pragma('cache_size = 2'); // tiny cache: a big transaction must spill pages into the WAL before COMMIT
    db.exec('BEGIN');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 200; i++) insert.run('y'.repeat(2000));
    const dest = scratchDir();
    pullWhileOpen(dir, 'app.db', dest);
    db.exec('ROLLBACK');
    db.close();
    const wal = readWalInfo(join(dest, 'app.db-wal'));
    expect(wal.framesAfterLastCommit).toBeGreaterThan(0);
    const result = await inspectDir(dest);
    expect(result.findings.map((f) => f.code)).toContain('SQLITE_WAL_UNCOMMITTED');
    expect(result.report?.tables.find((t) => t.name === 't')?.rowCount).toBe(1);
  });

  it('a WAL with a broken header is reported as invalid; its rows are not read', async () => {
    const { dir, db } = walDatabase();
    db.exec("CREATE TABLE t (v); INSERT INTO t VALUES ('a')");
    const dest = scratchDir();
    pullWhileOpen(dir, 'app.db', dest);
    db.close();
    const wal = readFileSync(join(dest, 'app.db-wal'));
    wal.writeUInt32BE(0xdeadbeef, 0);
    writeFileSync(join(dest, 'app.db-wal'), wal);
    expect(readWalInfo(join(dest, 'app.db-wal')).headerValid).toBe(false);
    const result = await inspectDir(dest);
    expect(result.findings.map((f) => f.code)).toContain('SQLITE_WAL_INVALID');
  });
});

describe('damaged databases', () => {
  it('the header tells a truncated file', () => {
    const head = Buffer.alloc(100);
    Buffer.from('SQLite format 3\0', 'latin1').copy(head);
    head.writeUInt16BE(4096, 16);
    head.writeUInt32BE(7, 24);
    head.writeUInt32BE(7, 92);
    head.writeUInt32BE(10, 28);
    expect(parseSqliteHeader(head, 40960)).toMatchObject({ pageSize: 4096, pageCount: 10, truncated: false });
    expect(parseSqliteHeader(head, 40959)).toMatchObject({ truncated: true });
    expect(parseSqliteHeader(head.subarray(0, 50), 50)).toMatchObject({ truncated: true });
  });

  it('overwritten pages: an error finding, never an exception', async () => {
    const dir = scratchDir();
    const db = new Database(join(dir, 'app.db'));
    fill(db, 500, (i) => `value ${i} ${'z'.repeat(50)}`);
    db.exec('CREATE INDEX t_v ON t (v)');
    db.close();
    const bytes = readFileSync(join(dir, 'app.db'));
    for (let p = 2; p * 4096 < bytes.length; p += 3) bytes.fill(0xa5, p * 4096 + 8, p * 4096 + 400);
    writeFileSync(join(dir, 'app.db'), bytes);
    const result = await inspectDir(dir);
    const errors = result.findings.filter((f) => f.severity === 'error').map((f) => f.code);
    expect(errors.some((c) => c === 'SQLITE_QUICK_CHECK_FAILED' || c === 'SQLITE_UNREADABLE')).toBe(true);
  });
});

describe('hot journal', () => {
  it('a transaction interrupted mid-write is rolled back in the copy, reported, and the originals stay as they were', async () => {
    const dir = scratchDir();
    const db = new Database(join(dir, 'live.db'));
    fill(db, 300, () => 'x'.repeat(1000));
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    db.pragma('cache_size = 2'); // force the uncommitted pages into the main file, the old ones into -journal
    db.exec('BEGIN');
    db.exec("UPDATE t SET v = 'y' || v");
    for (let i = 0; i < 300; i++) insert.run('z'.repeat(1000));
    const pulled = scratchDir();
    copyFileSync(join(dir, 'live.db'), join(pulled, 'app.db'));
    copyFileSync(join(dir, 'live.db-journal'), join(pulled, 'app.db-journal'));
    db.exec('ROLLBACK');
    db.close();
    const before = hashTree(pulled);
    await withStore(pulled, (store) => expect(Object.keys(store.companions)).toEqual(['journal']));
    const result = await inspectDir(pulled);
    expect(result.findings.map((f) => f.code)).toEqual(['SQLITE_HOT_JOURNAL', 'SQLITE_NO_FLAVOUR']);
    expect(result.report?.tables.find((t) => t.name === 't')?.rowCount).toBe(300);
    expect(hashTree(pulled)).toEqual(before);
  });
});

describe('flavour fingerprints', () => {
  function flavoursOf(sql: string, mmkvStores = 0): Array<{ flavour: string; evidence: string[] }> {
    const db = new Database(':memory:');
    db.exec(sql);
    try {
      return detectFlavours(db, readSqliteSchema(db), { mmkvStores }).flavours;
    } finally {
      db.close();
    }
  }

  it('each flavour by its schema, with evidence', () => {
    expect(
      flavoursOf(
        "CREATE TABLE __drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric); INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('abc', 1736346067001)",
      ),
    ).toEqual([
      { flavour: 'drizzle', evidence: ['table __drizzle_migrations: 1 applied migration(s), last created_at 2025-01-08T14:21:07.001Z'] },
    ]);
    expect(
      flavoursOf('CREATE TABLE notes (id primary key, _changed, _status, body); CREATE TABLE local_storage (key primary key, value)'),
    ).toEqual([{ flavour: 'watermelondb', evidence: ['_status/_changed columns in: notes', 'table local_storage(key, value)'] }]);
    expect(flavoursOf('CREATE TABLE sync_queue (id TEXT PRIMARY KEY, idempotency_key TEXT UNIQUE, status TEXT)')).toEqual([
      { flavour: 'hybrid-queue', evidence: ['sync_queue.idempotency_key', 'sync_queue.status'] },
    ]);
    expect(flavoursOf('CREATE TABLE outbox (id INTEGER PRIMARY KEY); CREATE TABLE sync_metadata (collection TEXT)', 2)).toEqual([
      { flavour: 'triple-layer', evidence: ['table outbox', 'table sync_metadata', '2 MMKV store(s) in the same snapshot'] },
    ]);
    expect(
      flavoursOf(
        "CREATE TABLE catalystLocalStorage (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO catalystLocalStorage VALUES ('k', 'v')",
      ),
    ).toEqual([{ flavour: 'android-asyncstorage', evidence: ['table catalystLocalStorage(key, value) with 1 key(s)'] }]);
  });

  it('every flavour that matches is reported; none when nothing matches', () => {
    const both = flavoursOf('CREATE TABLE notes (id, _changed, _status); CREATE TABLE sync_queue (id, _changed, _status, idempotency_key)');
    expect(both.map((f) => f.flavour)).toEqual(['watermelondb', 'hybrid-queue']);
    expect(flavoursOf('CREATE TABLE outbox (id); CREATE TABLE sync_queue (id)')).toEqual([]);
  });
});

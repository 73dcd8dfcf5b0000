// One test per fixture folder: `syncdoc inspect --json` (the built binary) against the fixture's
// truth.json — stores with size and sha256, flavours, table counts, queue depths, WAL-only rows,
// the missing-WAL warning — run on a copy whose bytes are hashed before and after.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyFixture, FIXTURES, hashTree, runCli, scratchDir } from '../test-support/cli.js';
import type { InspectReport, QueueReport, StoreReport } from './report.js';

interface Truth {
  snapshot_taken_at: string;
  files: Array<{ path: string; bytes: number; sha256: string }>;
  stores: Record<string, unknown>;
  outbox: {
    table?: string;
    count?: number;
    by_status?: Record<string, number>;
    open_op_ids?: string[];
    entries?: Array<Record<string, unknown>>;
  };
  wal?: Record<
    string,
    {
      key: string;
      inserted_in_wal_only: unknown[];
      updated_in_wal_only: Array<{ key: unknown; main_file: Record<string, unknown>; with_wal: Record<string, unknown> }>;
      deleted_in_wal_only: unknown[];
    }
  >;
  database?: {
    wal_frames?: {
      frames: number;
      commit_frames: number;
      last_commit_frame_index: number;
      frames_after_last_commit: number;
      checkpoint_sequence: number;
      page_size: number;
    };
  };
}

const truthOf = (name: string): Truth => JSON.parse(readFileSync(join(FIXTURES, 'snapshots', name, 'truth.json'), 'utf8')) as Truth;

/** Runs inspect --json on a private copy of the fixture and checks the copy is byte-identical after. */
async function inspectFixture(name: string): Promise<{ report: InspectReport; code: number | null; stderr: string }> {
  const dir = copyFixture(`snapshots/${name}`);
  const before = hashTree(dir);
  const res = await runCli(['inspect', dir, '--json']);
  expect(res.stderr).toBe(''); // findings go to stdout; stderr would be an error
  expect(hashTree(dir)).toEqual(before);
  const report = JSON.parse(res.stdout) as InspectReport & { schemaVersion: number };
  expect(report.schemaVersion).toBe(1);
  return { report, code: res.code, stderr: res.stderr };
}

/** Row count a truth.json `stores` entry states (array, `{count}` or `{records}`). */
function truthCount(entry: unknown): number {
  if (Array.isArray(entry)) return entry.length;
  const o = entry as { count?: number; records?: unknown[] };
  if (typeof o.count === 'number') return o.count;
  if (Array.isArray(o.records)) return o.records.length;
  throw new Error('truth entry without a count');
}

function expectStoresMatchTruth(
  report: InspectReport,
  truth: Truth,
  expected: Array<{ kind: string; path: string; flavours: string[] }>,
): void {
  expect(report.stores.map((s) => ({ kind: s.kind, path: s.path, flavours: s.flavours.map((f) => f.flavour) }))).toEqual(expected);
  for (const store of report.stores) {
    const file = truth.files.find((f) => f.path === store.path);
    expect(file, `truth lists ${store.path}`).toBeDefined();
    expect(store.sha256).toBe(file?.sha256);
    expect(store.sizeBytes).toBe(file?.bytes);
    for (const f of store.flavours) expect(f.evidence.length).toBeGreaterThan(0);
  }
}

function sqliteOf(report: InspectReport, path: string): NonNullable<StoreReport['sqlite']> {
  const s = report.stores.find((x) => x.path === path)?.sqlite;
  if (!s) throw new Error(`no sqlite report for ${path}`);
  return s;
}

function expectTableCounts(report: InspectReport, path: string, truth: Truth, tables: string[]): void {
  const db = sqliteOf(report, path);
  for (const t of tables) {
    expect(db.tables.find((x) => x.name === t)?.rowCount, t).toBe(truthCount(truth.stores[t]));
  }
}

function queueOf(report: InspectReport, path: string, queue: string): QueueReport {
  const q = report.stores.find((x) => x.path === path)?.queues.find((x) => x.queue === queue);
  if (!q) throw new Error(`no queue ${queue} in ${path}`);
  return q;
}

/** A queue's depth and its oldest waiting op (min creation time among open entries), against truth. */
function expectQueueMatches(
  report: InspectReport,
  q: QueueReport,
  truth: Truth,
  entries: Array<Record<string, unknown>>,
  createdKey: string,
  openIds?: string[],
): void {
  expect(q.total).toBe(entries.length);
  expect(q.depth).toBe(openIds ? openIds.length : entries.length);
  const open = entries.filter((e) => !openIds || openIds.includes(String(e['id'])));
  const oldest = [...open].sort((a, b) => Number(a[createdKey]) - Number(b[createdKey]))[0];
  expect(q.oldestPending?.id).toBe(String(oldest?.['id']));
  expect(q.oldestPending?.createdAtMs).toBe(Number(oldest?.[createdKey]));
  // ages come from the data, never the wall clock: the newest timestamp is before the snapshot was pulled
  const newest = report.newestTimestamp?.ms ?? NaN;
  expect(newest).toBeLessThanOrEqual(Date.parse(truth.snapshot_taken_at));
  expect(q.oldestPending?.ageMs).toBe(newest - Number(oldest?.[createdKey]));
}

/** The SQLite queue truth.outbox describes. */
function expectQueue(report: InspectReport, path: string, truth: Truth, createdKey: string): void {
  const q = queueOf(report, path, truth.outbox.table ?? '');
  expect(q.total).toBe(truth.outbox.count);
  if (truth.outbox.by_status) expect(q.byStatus).toEqual(truth.outbox.by_status);
  expectQueueMatches(report, q, truth, truth.outbox.entries ?? [], createdKey, truth.outbox.open_op_ids);
}

/**
 * What every fixture test checks first: exit 0, the stores with size/sha256/flavours, and, for the
 * SQLite store `main` (when given), the table counts and the queue truth.outbox describes.
 */
async function inspectAgainstTruth(
  name: string,
  stores: Array<{ kind: string; path: string; flavours: string[] }>,
  main?: { path: string; tables: string[] },
): Promise<{ truth: Truth; report: InspectReport }> {
  const truth = truthOf(name);
  const { report, code, stderr } = await inspectFixture(name);
  expect(code, stderr).toBe(0);
  expectStoresMatchTruth(report, truth, stores);
  if (main) {
    expectTableCounts(report, main.path, truth, main.tables);
    expectQueue(report, main.path, truth, 'created_at');
  }
  return { truth, report };
}

describe('inspect --json against truth.json', () => {
  it('watermelondb-basic', async () => {
    const { truth, report } = await inspectAgainstTruth(
      'watermelondb-basic',
      [{ kind: 'sqlite', path: 'watermelon.db', flavours: ['watermelondb'] }],
      { path: 'watermelon.db', tables: ['health_data', 'local_storage', 'text_notes', 'voice_notes'] },
    );
    const db = sqliteOf(report, 'watermelon.db');
    for (const t of ['health_data', 'text_notes', 'voice_notes']) {
      const byStatus = (truth.stores[t] as { by_status: Record<string, number> }).by_status;
      expect(db.statusDistributions.find((d) => d.table === t && d.column === '_status')?.counts).toEqual(byStatus);
    }
    expect(db.walOnlyRows).toBeNull();
    // one queue op carries last_error (anomaly A3)
    expect(queueOf(report, 'watermelon.db', 'sync_queue').failed).toBe(1);
  });

  it('drizzle-expo-wal: WAL frames and the rows living only in the WAL, by primary key', async () => {
    const { truth, report } = await inspectAgainstTruth(
      'drizzle-expo-wal',
      [{ kind: 'sqlite', path: 'SQLite/tasks.db', flavours: ['drizzle'] }],
      { path: 'SQLite/tasks.db', tables: ['tasks', 'sync_queue', 'sync_metadata', '__drizzle_migrations'] },
    );
    const db = sqliteOf(report, 'SQLite/tasks.db');
    expect(report.stores[0]?.companions).toEqual(['shm', 'wal']);
    expect(db.drizzleMigrations?.map((m) => m.hash)).toEqual(
      (truth.stores['__drizzle_migrations'] as Array<{ hash: string }>).map((m) => m.hash),
    );
    const frames = truth.database?.wal_frames;
    expect(db.wal).toMatchObject({
      headerValid: true,
      pageSize: frames?.page_size,
      checkpointSequence: frames?.checkpoint_sequence,
      validFrames: frames?.frames,
      commitFrames: frames?.commit_frames,
      lastCommitFrameIndex: frames?.last_commit_frame_index,
      framesAfterLastCommit: frames?.frames_after_last_commit,
    });
    const wal = truth.wal ?? {};
    const changedTables = Object.entries(wal).filter(
      ([, w]) => w.inserted_in_wal_only.length + w.updated_in_wal_only.length + w.deleted_in_wal_only.length > 0,
    );
    expect(db.walOnlyRows?.map((d) => d.table).sort()).toEqual(changedTables.map(([t]) => t).sort());
    for (const [table, w] of changedTables) {
      const diff = db.walOnlyRows?.find((d) => d.table === table);
      expect(diff?.keyColumns).toEqual([w.key]);
      expect(sortKeys(diff?.inserted ?? [])).toEqual(sortKeys(w.inserted_in_wal_only));
      expect(sortKeys(diff?.deleted ?? [])).toEqual(sortKeys(w.deleted_in_wal_only));
      expect(sortKeys(diff?.updated.map((u) => u.key) ?? [])).toEqual(sortKeys(w.updated_in_wal_only.map((u) => u.key)));
      for (const u of w.updated_in_wal_only) {
        const expected = Object.fromEntries(
          Object.keys(u.with_wal)
            .filter((c) => u.with_wal[c] !== u.main_file[c])
            .map((c) => [c, { mainFile: u.main_file[c], withWal: u.with_wal[c] }]),
        );
        expect(diff?.updated.find((x) => x.key === u.key)?.changes).toEqual(expected);
      }
    }
    expect(report.findings.some((f) => f.code === 'SQLITE_WAL_ONLY_ROWS')).toBe(true);
    expect(report.findings.some((f) => f.code === 'SQLITE_WAL_MISSING')).toBe(false);
  });

  it('drizzle-expo-wal-missing: the missing -wal raises the warning, the stale main file is what is read', async () => {
    const { truth, report } = await inspectAgainstTruth(
      'drizzle-expo-wal-missing',
      [{ kind: 'sqlite', path: 'SQLite/tasks.db', flavours: ['drizzle'] }],
      { path: 'SQLite/tasks.db', tables: ['tasks', 'sync_queue', 'sync_metadata', '__drizzle_migrations'] },
    );
    const warning = report.findings.find((f) => f.code === 'SQLITE_WAL_MISSING');
    expect(warning).toMatchObject({ severity: 'warn', store: 'SQLite/tasks.db' });
    expect(warning?.message).toContain('-shm is present');
    const db = sqliteOf(report, 'SQLite/tasks.db');
    expect(db.headerSaysWal).toBe(true);
    expect(db.wal).toBeNull();
    expect(db.walOnlyRows).toBeNull();
  });

  it('hybrid-queue-basic: queue depth by status and the oldest open op', async () => {
    const { truth, report } = await inspectAgainstTruth(
      'hybrid-queue-basic',
      [{ kind: 'sqlite', path: 'fieldsync.db', flavours: ['hybrid-queue'] }],
      { path: 'fieldsync.db', tables: ['pins', 'forms', 'sync_state'] },
    );
    // a failed root op (anomaly A1) counts as failed
    expect(queueOf(report, 'fieldsync.db', 'sync_queue').failed).toBe(truth.outbox.by_status?.['failed']);
  });

  it('triple-layer-legacy: SQLite, MMKV and the Convex export are all found', async () => {
    const { truth, report } = await inspectAgainstTruth('triple-layer-legacy', [
      { kind: 'sqlite', path: 'SQLite/mindtrack.db', flavours: ['triple-layer'] },
      { kind: 'mmkv', path: 'mmkv/mmkv.default', flavours: [] },
      { kind: 'convex-export', path: 'server/snapshot_happy-lynx-123_20250314T113000Z.zip', flavours: [] },
    ], {
      path: 'SQLite/mindtrack.db',
      tables: ['moods', 'exercises', 'user_progress', 'sync_metadata'],
    });
    expect(report.stores[1]?.companions).toEqual(['crc']);
  });

  it('asyncstorage-redux-persist-android: RKStorage is an AsyncStorage flavour of SQLite', async () => {
    const { truth, report } = await inspectAgainstTruth('asyncstorage-redux-persist-android', [
      { kind: 'sqlite', path: 'databases/RKStorage', flavours: ['android-asyncstorage'] },
    ]);
    const db = sqliteOf(report, 'databases/RKStorage');
    expect(db.tables.find((t) => t.name === 'catalystLocalStorage')?.rowCount).toBe(Object.keys(truth.stores['raw_keys'] as object).length);
    expect(db.userVersion).toBe(1);
    // the redux-persist slices' syncQueue arrays, one queue per slice
    const slices = truth.outbox as unknown as Record<string, { count: number; entries: Array<Record<string, unknown>> }>;
    expect(report.stores[0]?.queues.map((q) => q.queue).sort()).toEqual(
      Object.keys(slices)
        .map((k) => `persist:root/${k}.syncQueue`)
        .sort(),
    );
    for (const [slice, { count, entries }] of Object.entries(slices)) {
      const q = queueOf(report, 'databases/RKStorage', `persist:root/${slice}.syncQueue`);
      expect(q.total).toBe(count);
      expectQueueMatches(report, q, truth, entries, 'timestamp');
    }
  });
});

describe('iOS AsyncStorage, built from the Android fixture', () => {
  it('manifest.json + md5 side files give the same redux-persist queues as RKStorage', async () => {
    const truth = truthOf('asyncstorage-redux-persist-android');
    const src = new Database(join(copyFixture('snapshots/asyncstorage-redux-persist-android'), 'databases', 'RKStorage'), {
      readonly: true,
      fileMustExist: true,
    });
    const rows = src.prepare('SELECT key, value FROM catalystLocalStorage').all() as Array<{ key: string; value: string }>;
    src.close();
    const dir = scratchDir();
    const folder = join(dir, 'Library', 'Application Support', 'com.example.app', 'RCTAsyncLocalStorage_V1');
    mkdirSync(folder, { recursive: true });
    const manifest: Record<string, string | null> = {};
    for (const { key, value } of rows) {
      // RCTAsyncLocalStorage keeps values over 1024 bytes in a file named by the key's md5
      if (value.length > 1024) {
        manifest[key] = null;
        writeFileSync(join(folder, createHash('md5').update(key).digest('hex')), value);
      } else manifest[key] = value;
    }
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest));
    const res = await runCli(['inspect', dir, '--json']);
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as InspectReport;
    const path = 'Library/Application Support/com.example.app/RCTAsyncLocalStorage_V1/manifest.json';
    expect(report.stores.map((s) => [s.kind, s.path])).toEqual([['asyncstorage-ios', path]]);
    const slices = truth.outbox as unknown as Record<string, { count: number; entries: Array<Record<string, unknown>> }>;
    for (const [slice, { entries }] of Object.entries(slices)) {
      expectQueueMatches(report, queueOf(report, path, `persist:root/${slice}.syncQueue`), truth, entries, 'timestamp');
    }
  });
});

function sortKeys(keys: unknown[]): string[] {
  return keys.map((k) => JSON.stringify(k)).sort();
}

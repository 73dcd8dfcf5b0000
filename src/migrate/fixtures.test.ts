import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createRecordHasher } from '../integrity/index.js';
import { readOutbox } from '../outbox/read-outbox.js';
import { openSnapshot } from '../snapshot/open.js';
import { copyFixture, FIXTURES, hashTree, scratchDir } from '../test-support/cli.js';
import { checkOutput } from './apply.js';
import { migrateSnapshot } from './run.js';

const SNAPSHOTS = join(FIXTURES, 'snapshots');

const CASES = [
  { fixture: 'watermelondb-basic', profile: 'watermelondb' },
  { fixture: 'drizzle-expo-wal', profile: 'drizzle-expo' },
  { fixture: 'drizzle-expo-wal-missing', profile: 'drizzle-expo' },
  { fixture: 'hybrid-queue-basic', profile: 'hybrid-queue' },
  { fixture: 'asyncstorage-redux-persist-android', profile: 'redux-persist' },
  { fixture: 'triple-layer-legacy', profile: 'triple-layer' },
];

async function migrate(fixture: string) {
  const dir = join(SNAPSHOTS, fixture);
  const before = hashTree(dir);
  const out = join(scratchDir(), 'unified.db');
  const report = await migrateSnapshot({ snapshot: dir, out, profile: 'auto', conflict: 'lww', dryRun: false, force: false });
  expect(hashTree(dir), 'inputs are byte-identical afterwards').toEqual(before);
  return { report, out, dir };
}

describe.each(CASES)('$fixture migrates with its profile auto-detected', ({ fixture, profile }) => {
  it(`picks ${profile}, says why, and accounts for every record and op`, async () => {
    const { report, out, dir } = await migrate(fixture);
    expect(report.profile).toBe(profile);
    expect(report.profileReason).toMatch(/^auto: .+/);
    for (const c of report.collections) {
      expect(c.in, c.collection).toBe(c.migrated + c.merged + c.setAside);
      expect(report.digests[c.collection]?.count, `${c.collection} digest`).toBe(c.migrated);
    }

    const db = new Database(out, { readonly: true });
    try {
      // every legacy queue entry is in sync_queue (by origin id), plus the backfills
      const snapshot = await openSnapshot(dir);
      const legacy = readOutbox(snapshot).ops;
      snapshot.close();
      const rows = db.prepare('SELECT id, status, status_reason FROM sync_queue ORDER BY seq').all() as Array<{ id: string; status: string; status_reason: string | null }>;
      const backfills = rows.filter((r) => r.id.startsWith('backfill/'));
      expect(rows.length - backfills.length).toBeGreaterThanOrEqual(legacy.length);
      for (const op of legacy) expect(rows.some((r) => r.id.endsWith(`${op.queue}/${op.id}`)), `${op.queue}/${op.id}`).toBe(true);
      for (const r of rows) if (r.status === 'dead') expect(r.status_reason, r.id).toBeTruthy();
      // rows per collection = migrated count; the digests recompute from the file
      for (const c of report.collections) {
        const table = ['moods', 'exercises', 'user_progress', 'tasks', 'health_data', 'text_notes', 'voice_notes', 'pins', 'forms', 'quotes'].includes(c.collection)
          ? db.prepare(`SELECT count(*) AS n FROM "${c.collection}"`).get()
          : db.prepare('SELECT count(*) AS n FROM records WHERE collection = ?').get(c.collection);
        expect((table as { n: number }).n, c.collection).toBe(c.migrated);
      }
    } finally {
      db.close();
    }
    expect(checkOutput(out, await createRecordHasher()).ok).toBe(true);
  }, 120_000);
});

describe('fixture specifics', () => {
  it('drizzle-expo-wal-missing: warns that the newest writes are gone; the intact fixture does not', async () => {
    const walMissing = (r: Awaited<ReturnType<typeof migrateSnapshot>>) => r.findings.filter((f) => f.code === 'MIGRATE_WAL_MISSING');
    const missing = walMissing((await migrate('drizzle-expo-wal-missing')).report);
    expect(missing).toHaveLength(1);
    expect(missing[0]?.store).toMatch(/\.db$/);
    expect(walMissing((await migrate('drizzle-expo-wal')).report)).toEqual([]);
  });

  it('watermelondb: REAL timestamps become integers, pending records match WatermelonDB’s own pending changes', async () => {
    const { out } = await migrate('watermelondb-basic');
    const truth = JSON.parse(readFileSync(join(SNAPSHOTS, 'watermelondb-basic', 'truth.json'), 'utf8')) as {
      outbox: { watermelon_pending_changes: Record<string, { created: string[]; updated: string[]; deleted: string[] }> };
    };
    const db = new Database(out, { readonly: true });
    try {
      for (const [table, changes] of Object.entries(truth.outbox.watermelon_pending_changes)) {
        const types = db.prepare(`SELECT DISTINCT typeof(created_at) AS t FROM "${table}"`).all() as Array<{ t: string }>;
        expect(types.map((t) => t.t)).toEqual(['integer']);
        const pending = (db.prepare(`SELECT client_id FROM "${table}" WHERE sync_status IN ('pending', 'failed') ORDER BY client_id`).all() as Array<{ client_id: string }>).map(
          (r) => r.client_id,
        );
        expect(pending, table).toEqual([...changes.created, ...changes.updated, ...changes.deleted].sort());
        for (const id of changes.deleted) {
          const row = db.prepare(`SELECT deleted_at FROM "${table}" WHERE client_id = ?`).get(id) as { deleted_at: number | null };
          expect(row.deleted_at, `${table}:${id} is a tombstone`).not.toBeNull();
        }
      }
    } finally {
      db.close();
    }
  });

  it('redux-persist: unknown slices go to records, dirty items get a backfilled op, an orphan update is dead', async () => {
    const { out, report } = await migrate('asyncstorage-redux-persist-android');
    const db = new Database(out, { readonly: true });
    try {
      const generic = db.prepare('SELECT collection, count(*) AS n FROM records GROUP BY collection ORDER BY collection').all();
      expect(generic).toEqual([
        { collection: 'guided_meditation', n: 6 },
        { collection: 'meditation', n: 9 },
      ]);
      const dead = db.prepare("SELECT id, status_reason FROM sync_queue WHERE status = 'dead'").all() as Array<{ id: string; status_reason: string }>;
      expect(dead.map((d) => d.id)).toEqual(['persist:root/quotes.syncQueue/sq_qu_0005']);
      expect(dead[0]!.status_reason).toMatch(/orphan/);
      // the queued delete of a session already removed locally must still reach the server
      const del = db.prepare("SELECT status, op FROM sync_queue WHERE id LIKE '%sq_me_0003'").get();
      expect(del).toEqual({ status: 'pending', op: 'delete' });
      const backfilled = db.prepare("SELECT collection, record_client_id, op FROM sync_queue WHERE id LIKE 'backfill/%' ORDER BY id").all();
      expect(backfilled).toEqual([
        { collection: 'guided_meditation', record_client_id: expect.any(String), op: 'update' },
        { collection: 'meditation', record_client_id: 'ms_0000b', op: 'update' },
      ]);
    } finally {
      db.close();
    }
    expect(report.cleanup.remove.map((k) => k.key)).toEqual(['persist:root']);
  });

  it('hybrid queue: idempotency keys kept, dependencies remapped, in-flight op made pending, failed root marks its record failed', async () => {
    const { out } = await migrate('hybrid-queue-basic');
    const db = new Database(out, { readonly: true });
    try {
      // a copy: fieldsync.db is in WAL mode, and opening it in place (even read-only) writes -wal/-shm beside it
      const src = new Database(join(copyFixture('snapshots/hybrid-queue-basic'), 'fieldsync.db'), { readonly: true, fileMustExist: true });
      let legacyKeys: string[];
      try {
        legacyKeys = (src.prepare('SELECT idempotency_key FROM sync_queue ORDER BY sequence_number').all() as Array<{ idempotency_key: string }>).map((r) => r.idempotency_key);
      } finally {
        src.close();
      }
      const keys = (db.prepare('SELECT idempotency_key FROM sync_queue ORDER BY seq').all() as Array<{ idempotency_key: string }>).map((r) => r.idempotency_key);
      expect(keys).toEqual(legacyKeys);
      const deps = db.prepare('SELECT depends_on FROM sync_queue WHERE depends_on IS NOT NULL').all() as Array<{ depends_on: string }>;
      for (const d of deps) expect(db.prepare('SELECT 1 FROM sync_queue WHERE id = ?').get(d.depends_on), d.depends_on).toBeDefined();
      expect(db.prepare("SELECT count(*) AS n FROM sync_queue WHERE status = 'in_flight'").get()).toEqual({ n: 0 });
      // the pin edited on the tablet and, concurrently, on this phone: a conflict, the queued edit kept as queued
      const pin = '5ae11a88-5583-452b-9eb5-278b5e61678a';
      expect(db.prepare('SELECT sync_status FROM pins WHERE client_id = ?').get(pin)).toEqual({ sync_status: 'conflict' });
      const edit = db.prepare("SELECT status, status_reason, payload FROM sync_queue WHERE id = 'sync_queue/b70d96af-e31a-4c10-a808-9e2ffd75baa9'").get() as Record<string, string>;
      expect(edit['status']).toBe('pending');
      expect(edit['status_reason']).toMatch(/^conflict: /);
      expect(JSON.parse(edit['payload']!)).toMatchObject({ vector_clock: { 'dev-A1B2': 2, server: 1 } });
      const failed = db.prepare("SELECT record_client_id FROM sync_queue WHERE status = 'failed'").get() as { record_client_id: string };
      expect(db.prepare('SELECT sync_status FROM pins WHERE client_id = ?').get(failed.record_client_id)).toEqual({ sync_status: 'failed' });
    } finally {
      db.close();
    }
  });
});

describe('profile choices', () => {
  it('a JSON profile file declares a custom layout and migrates like the built-in profile', async () => {
    const dir = scratchDir();
    const file = join(dir, 'tasks-profile.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'tasks-app',
        sources: [
          {
            kind: 'sqlite',
            store: 'SQLite/tasks.db',
            table: 'tasks',
            collection: 'tasks',
            mapping: {
              id: 'client_id',
              serverId: 'server_id',
              userId: 'user_id',
              createdAt: 'created_at',
              updatedAt: 'updated_at',
              timestamps: { created_at: 'ms', updated_at: 'ms' },
              status: { field: 'sync_status', pending: ['pending'], deleted: ['deleted'], failed: ['failed', 'error'], synced: ['synced'] },
            },
          },
        ],
      }),
    );
    const snapshot = join(SNAPSHOTS, 'drizzle-expo-wal');
    const custom = join(dir, 'custom.db');
    const builtIn = join(dir, 'builtin.db');
    const report = await migrateSnapshot({ snapshot, out: custom, profile: file, conflict: 'lww', dryRun: false, force: false });
    await migrateSnapshot({ snapshot, out: builtIn, profile: 'drizzle-expo', conflict: 'lww', dryRun: false, force: false });
    expect(report.profile).toBe('tasks-app');
    const rows = (p: string) => {
      const db = new Database(p, { readonly: true });
      try {
        return db.prepare('SELECT * FROM tasks ORDER BY client_id').all();
      } finally {
        db.close();
      }
    };
    expect(rows(custom)).toHaveLength(22);
    expect(rows(custom)).toEqual(rows(builtIn));
  });

  it('a bad profile file is a usage error naming the file and the place', async () => {
    const file = join(scratchDir(), 'bad.json');
    writeFileSync(file, JSON.stringify({ sources: [{ kind: 'sqlite', store: 'x.db', table: 't', collection: 'tasks', mapping: { id: 'id', timestamps: { t: 'minutes' } } }] }));
    await expect(
      migrateSnapshot({ snapshot: join(SNAPSHOTS, 'drizzle-expo-wal'), out: join(scratchDir(), 'o.db'), profile: file, conflict: 'lww', dryRun: false, force: false }),
    ).rejects.toMatchObject({ exitCode: 2, subject: file, message: expect.stringMatching(/sources\[0\]\.mapping\.timestamps\.t/) });
  });

  it('--server gives the server copy when the snapshot does not hold it', async () => {
    const copy = join(scratchDir(), 'triple');
    cpSync(join(SNAPSHOTS, 'triple-layer-legacy'), copy, { recursive: true });
    const zip = join(scratchDir(), 'export.zip');
    cpSync(join(copy, 'server', 'snapshot_happy-lynx-123_20250314T113000Z.zip'), zip);
    rmSync(join(copy, 'server'), { recursive: true });
    const without = await migrateSnapshot({ snapshot: copy, out: join(scratchDir(), 'a.db'), profile: 'auto', conflict: 'lww', dryRun: true, force: false });
    expect(without.collections.every((c) => c.byLayer['server'] === undefined)).toBe(true);
    const withServer = await migrateSnapshot({ snapshot: copy, out: join(scratchDir(), 'b.db'), profile: 'auto', conflict: 'lww', dryRun: false, force: false, server: zip });
    expect(withServer.collections.find((c) => c.collection === 'moods')?.byLayer['server']).toBe(23);
    expect(withServer.queue.byStatus['pending']).toBe(16);
    expect(withServer.sources.map((s) => s.path)).toContain('export.zip');
  });
});

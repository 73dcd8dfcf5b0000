import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRecordHasher } from '../integrity/index.js';
import { migrateScanContext } from './apply.js';
import { COLLECTION_TABLES } from '../schema/index.js';
import { FIXTURES, scratchDir } from '../test-support/cli.js';
import { bulkShape, findGeneralRowids, findTableFacts, findTypeFailures, planBulkCopy, type BulkCopy } from './bulk.js';
import { layoutOf } from './rows.js';
import { migrateSnapshot } from './run.js';
import { generateTripleLayerSnapshot } from './synthetic.js';
import type { FieldMapping } from './types.js';

/** Every table's rows (all columns), ordered by key, plus the queue and the log's counts/digests. */
function dump(path: string): Record<string, unknown> {
  const db = new Database(path, { readonly: true });
  try {
    const out: Record<string, unknown> = {};
    for (const t of [...Object.keys(COLLECTION_TABLES), 'records']) out[t] = db.prepare(`SELECT * FROM "${t}" ORDER BY client_id`).all();
    out['sync_queue'] = db.prepare('SELECT * FROM sync_queue ORDER BY seq').all();
    out['log'] = db.prepare('SELECT counts, digests, migrated_at FROM migration_log').all();
    return out;
  } finally {
    db.close();
  }
}

async function both(snapshot: string): Promise<{ bulk: Record<string, unknown>; general: Record<string, unknown>; bulkRows: number }> {
  const dir = scratchDir();
  const base = { snapshot, profile: 'auto', conflict: 'lww' as const, dryRun: false, force: false };
  await migrateSnapshot({ ...base, out: join(dir, 'bulk.db') });
  await migrateSnapshot({ ...base, out: join(dir, 'general.db'), bulk: false });
  const bulkRows = (
    await (async () => {
      const { openSnapshot } = await import('../snapshot/open.js');
      const { loadLegacy } = await import('./load.js');
      const s = await openSnapshot(snapshot);
      try {
        return (await loadLegacy(s, { profile: 'auto' })).input.bulk;
      } finally {
        s.close();
      }
    })()
  ).reduce((n, b) => n + b.count, 0);
  return { bulk: dump(join(dir, 'bulk.db')), general: dump(join(dir, 'general.db')), bulkRows };
}

describe('bulk copy (INSERT … SELECT) writes exactly what the general path writes', () => {
  it.each(['watermelondb-basic', 'drizzle-expo-wal', 'triple-layer-legacy', 'hybrid-queue-basic'])('%s', async (fixture) => {
    const r = await both(join(FIXTURES, 'snapshots', fixture));
    expect(r.bulk).toEqual(r.general);
  }, 120_000);

  it('a generated triple-layer snapshot with MMKV copies, pending rows and outbox ops', async () => {
    const snap = join(scratchDir(), 'snapshot');
    await generateTripleLayerSnapshot(snap, { rows: 3000, mmkvRows: 300, serverRows: 0 });
    const r = await both(snap);
    expect(r.bulkRows).toBeGreaterThan(2000);
    expect(r.bulk).toEqual(r.general);
  }, 120_000);
});

describe('large snapshots', () => {
  it('migrates 200k rows (more than one call stack can spread) and accounts for all of them', async () => {
    const snap = join(scratchDir(), 'snapshot');
    await generateTripleLayerSnapshot(snap, { rows: 200_000, mmkvRows: 2000, serverRows: 0 });
    const out = join(scratchDir(), 'big.db');
    const report = await migrateSnapshot({ snapshot: snap, out, profile: 'auto', conflict: 'lww', dryRun: false, force: false });
    const moods = report.collections.find((c) => c.collection === 'moods')!;
    expect(moods.migrated).toBe(200_000);
    expect(moods.in).toBe(moods.migrated + moods.merged + moods.setAside);
    expect(report.digests['moods']?.count).toBe(200_000);
    const db = new Database(out, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM moods').get()).toEqual({ n: 200_000 });
      // every 50th record was pending with a create op in the outbox
      expect(db.prepare("SELECT count(*) AS n FROM sync_queue WHERE status = 'pending' AND op = 'create'").get()).toEqual({ n: 4000 });
    } finally {
      db.close();
    }
  }, 600_000);
});

describe('findGeneralRowids', () => {
  // the rows left to the general path, found from the split condition (type checks over ranges,
  // excluded ids and server ids looked up by value), must be exactly the rows the whole condition
  // rejects, whatever the table holds and whether or not the id column is the table's key
  const cell = fc.oneof(
    fc.constantFrom<unknown>(null, '', 'x', 'synced', 'pending', '[]', '["a"]', '[1', 3, 3.5, 1_700_000_000_000, 1_700_000_000_000.5, 17, Buffer.from('b')),
    fc.string({ maxLength: 3 }),
  );
  const key = fc.oneof(fc.constantFrom<unknown>(null, '', 5, Buffer.from('k')), fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'));
  // mostly values a bulk row may hold, so that rows pass the type checks and meet the exclusions
  const good = (v: unknown, awkward: fc.Arbitrary<unknown> = cell) => fc.oneof({ weight: 6, arbitrary: fc.constant(v) }, { weight: 1, arbitrary: awkward });
  const row = fc.record({
    id: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f') }, { weight: 1, arbitrary: key }),
    server_id: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(null, 'd', 'e', 'f', 'g') }, { weight: 1, arbitrary: key }),
    user_id: good('u'),
    mood: good('calm'),
    rating: good(3),
    note: good('n'),
    tags_json: good('["a"]'),
    created_at: good(1_700_000_000_000),
    updated_at: good(1_700_000_001_000),
    sync_status: good('synced'),
    version: good(1),
  });
  const mapping: FieldMapping = {
    id: 'id',
    serverId: 'server_id',
    userId: 'user_id',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
    version: 'version',
    status: { field: 'sync_status', synced: ['synced'] },
    rename: { tags_json: 'tags' },
  };
  it('gives exactly the rows the whole bulk condition rejects', async () => {
    const hasher = await createRecordHasher();
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { maxLength: 40 }),
        fc.boolean(),
        fc.subarray(['a', 'b', 'c', 'zz']),
        fc.subarray(['d', 'e', 'zz']),
        async (rows, idIsKey, ids, serverIds) => {
          const db = new Database(':memory:');
          try {
            const cols = ['id', 'server_id', 'user_id', 'mood', 'rating', 'note', 'tags_json', 'created_at', 'updated_at', 'sync_status', 'version'];
            db.exec(`CREATE TABLE moods (${cols.map((c) => (c === 'id' && idIsKey ? 'id TEXT PRIMARY KEY' : c)).join(', ')})`);
            const ins = db.prepare(`INSERT OR IGNORE INTO moods (rowid, ${cols.join(', ')}) VALUES (?, ${cols.map(() => '?').join(', ')})`);
            rows.forEach((r, i) => ins.run(i * 2 - 7, ...cols.map((c) => (r as Record<string, unknown>)[c])));
            const shape = bulkShape(db, { store: 's', localPath: ':memory:', table: 'moods', collection: 'moods', mapping }, layoutOf('moods'));
            expect(shape).not.toBeNull();
            const ctx = migrateScanContext(hasher, undefined);
            const bulk = planBulkCopy(shape!, { ids: new Set(ids), serverIds: new Set(serverIds) }, await findTableFacts(db, shape!, ctx));
            // the facts found in-process without a context are the same
            expect(await findTableFacts(db, shape!, undefined)).toEqual(await findTableFacts(db, shape!, ctx));
            const want = db.prepare(`SELECT rowid FROM moods WHERE coalesce((${bulk.condition}), 0) = 0 ORDER BY rowid`).pluck().all(...bulk.params);
            expect(await findGeneralRowids(db, bulk, (await findTypeFailures(db, shape!, ctx))!, ctx)).toEqual(want);
            // the type checks still running when the lookups start (as load does) give the same rows
            expect(await findGeneralRowids(db, bulk, findTypeFailures(db, shape!, ctx), ctx)).toEqual(want);
          } finally {
            db.close();
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives null when the type checks cannot list rowids', async () => {
    const db = new Database(':memory:');
    try {
      db.exec("CREATE TABLE moods (id TEXT, sync_status TEXT); INSERT INTO moods VALUES ('a', 'synced')");
      const bulk = { table: 'moods', localPath: ':memory:', exclusions: [{ column: '"id"', values: '["a"]' }] } as BulkCopy;
      expect(await findGeneralRowids(db, bulk, Promise.resolve(null), migrateScanContext(await createRecordHasher(), undefined))).toBeNull();
    } finally {
      db.close();
    }
  });
});

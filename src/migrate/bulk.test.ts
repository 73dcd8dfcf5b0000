import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { COLLECTION_TABLES } from '../schema/index.js';
import { FIXTURES, scratchDir } from '../test-support/cli.js';
import { migrateSnapshot } from './run.js';
import { generateTripleLayerSnapshot } from './synthetic.js';

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

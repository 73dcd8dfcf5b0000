/**
 * Drizzle on expo-sqlite: entity tables keyed by `client_id` with `server_id`, `sync_status` and
 * ms timestamps, a `sync_queue` (table_name, operation, record_client_id, payload, retry_count) and
 * `sync_metadata` per table. Recognised by `__drizzle_migrations`. A `-wal` missing from the export
 * means the newest writes are gone: the migration goes ahead on what is there and says so.
 */
import { detectFlavour, emptyBuild, flavoured, snakeMapping, SYNC_STATUS_COLUMN, type ProfileDefinition } from './fingerprint.js';
import { timeOf } from './triple-layer.js';

const BOOKKEEPING = new Set(['__drizzle_migrations', 'sync_queue', 'sync_metadata', 'sqlite_sequence']);

export const drizzleExpo: ProfileDefinition = {
  name: 'drizzle-expo',
  description: 'Drizzle ORM on expo-sqlite: tables + sync_queue + sync_metadata',
  detect: (fp) => detectFlavour(fp, 'drizzle'),
  build(fp, cache) {
    const b = emptyBuild();
    for (const store of flavoured(fp, 'drizzle')) {
      for (const [table, cols] of store.tables) {
        const id = cols.includes('client_id') ? 'client_id' : cols.includes('id') ? 'id' : undefined;
        if (BOOKKEEPING.has(table) || id === undefined) continue;
        b.specs.push({ kind: 'sqlite', store: store.path, table, collection: table, mapping: snakeMapping(cols, id, { status: SYNC_STATUS_COLUMN }) });
      }
      if (store.tables.get('sync_metadata')?.includes('table_name') === true) {
        for (const r of cache.db(store.path).prepare('SELECT * FROM sync_metadata ORDER BY rowid').all() as Array<Record<string, unknown>>) {
          b.syncMeta.push({
            collection: String(r['table_name']),
            cursor: null,
            lastSyncAt: timeOf(r['last_sync_timestamp']),
            initialSyncComplete: Boolean(r['initial_sync_complete']),
          });
        }
      }
    }
    return b;
  },
};

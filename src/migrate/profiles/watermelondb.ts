/**
 * WatermelonDB: every table has `id`, `_status` (synced | created | updated | deleted) and
 * `_changed`; numbers are REALs (timestamps `1741942800000.0`, booleans `0.0`/`1.0`), which
 * normalisation turns back into integers and booleans. Locally deleted rows stay as `_status =
 * 'deleted'` until pushed: they become tombstones. The app's `sync_queue` is read by the outbox
 * reader; `local_storage.__watermelon_last_pulled_at` is every collection's last sync time.
 */
import { detectFlavour, emptyBuild, flavoured, snakeMapping, type ProfileDefinition } from './fingerprint.js';
import { timeOf } from './triple-layer.js';

const STATUS = { field: '_status', pending: ['created', 'updated'], deleted: ['deleted'], synced: ['synced'] };

export const watermelonDb: ProfileDefinition = {
  name: 'watermelondb',
  description: 'WatermelonDB tables (_status/_changed) + sync_queue + local_storage',
  detect: (fp) => detectFlavour(fp, 'watermelondb'),
  build(fp, cache) {
    const b = emptyBuild();
    for (const store of flavoured(fp, 'watermelondb')) {
      const collections: string[] = [];
      for (const [table, cols] of store.tables) {
        if (table === 'sync_queue' || table === 'local_storage' || !cols.includes('_status') || !cols.includes('id')) continue;
        collections.push(table);
        b.specs.push({
          kind: 'sqlite',
          store: store.path,
          table,
          collection: table,
          // the app's own sync_status column is bookkeeping WatermelonDB's _status supersedes
          mapping: snakeMapping(cols, 'id', { status: STATUS, drop: ['_changed', 'sync_status'] }),
        });
      }
      if (store.tables.has('local_storage')) {
        const row = cache.db(store.path).prepare("SELECT value FROM local_storage WHERE key = '__watermelon_last_pulled_at'").get() as { value: unknown } | undefined;
        const at = row === undefined ? null : timeOf(row.value);
        for (const c of collections) b.syncMeta.push({ collection: c, cursor: null, lastSyncAt: at, initialSyncComplete: at !== null });
      }
    }
    return b;
  },
};

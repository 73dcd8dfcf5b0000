/**
 * Hybrid queue: entity tables (`pins`, `forms`) with `deleted_at` tombstones, `server_version` and
 * a JSON `vector_clock`, and a `sync_queue` with idempotency keys, sequence numbers, `depends_on`
 * and statuses. The entity rows carry no sync status, so a record is pending when an open queue op
 * targets it and synced otherwise. Idempotency keys are kept.
 */
import { detectFlavour, emptyBuild, flavoured, snakeMapping, type ProfileDefinition } from './fingerprint.js';
import { timeOf } from './triple-layer.js';

export const hybridQueue: ProfileDefinition = {
  name: 'hybrid-queue',
  description: 'entity tables with vector clocks + sync_queue with idempotency keys',
  detect: (fp) => detectFlavour(fp, 'hybrid-queue'),
  build(fp, cache) {
    const b = emptyBuild();
    for (const store of flavoured(fp, 'hybrid-queue')) {
      const collections: string[] = [];
      for (const [table, cols] of store.tables) {
        if (table === 'sync_queue' || table === 'sync_state' || table === 'sqlite_sequence' || !cols.includes('id')) continue;
        collections.push(table);
        b.specs.push({ kind: 'sqlite', store: store.path, table, collection: table, mapping: snakeMapping(cols, 'id', cols.includes('server_version') ? { syncedBefore: 'server_version' } : {}) });
        b.statusFromQueue.push(table);
        // queue entity types are singular (`pin` for `pins`)
        if (table.endsWith('s')) b.aliases[table.slice(0, -1)] = table;
      }
      if (store.tables.has('sync_state')) {
        const kv = new Map(
          (cache.db(store.path).prepare('SELECT key, value FROM sync_state ORDER BY key').all() as Array<{ key: string; value: unknown }>).map((r) => [
            String(r.key),
            r.value,
          ]),
        );
        const cursorKey = [...kv.keys()].find((k) => /cursor/i.test(k));
        const lastKey = [...kv.keys()].find((k) => /last.?(sync|pull)/i.test(k));
        const lastSyncAt = lastKey === undefined ? null : timeOf(kv.get(lastKey));
        for (const c of collections) {
          b.syncMeta.push({
            collection: c,
            cursor: cursorKey === undefined ? null : String(kv.get(cursorKey)),
            lastSyncAt,
            initialSyncComplete: lastSyncAt !== null,
          });
        }
      }
    }
    return b;
  },
};

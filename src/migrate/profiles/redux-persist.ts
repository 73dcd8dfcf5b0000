/**
 * redux-persist on AsyncStorage (Android `RKStorage` or iOS manifest): a `persist:<key>` entry
 * whose slices are JSON-encoded twice, each slice holding an array of records with a
 * `syncMetadata` object (syncStatus, isDirty) and a `syncQueue` array the outbox reader
 * normalises. Slices become collections by their snake_case name; collections the unified schema
 * does not know go to the generic `records` table.
 */
import { snakeCase } from '../normalise.js';
import { camelMapping, emptyBuild, flavoured, type ProfileDefinition } from './fingerprint.js';
import { timeOf } from './triple-layer.js';

const STATUS = {
  field: 'syncMetadata.syncStatus',
  dirty: 'syncMetadata.isDirty',
  pending: ['pending', 'dirty'],
  deleted: ['deleted'],
  failed: ['error', 'failed'],
  synced: ['synced'],
};

export const reduxPersist: ProfileDefinition = {
  name: 'redux-persist',
  description: 'redux-persist slices on AsyncStorage with syncMetadata + syncQueue',
  detect(fp) {
    const stores = flavoured(fp, 'android-asyncstorage');
    if (stores.length === 0) return null;
    return stores.map((s) => `${s.path}: table catalystLocalStorage (Android AsyncStorage)`);
  },
  build(fp, cache) {
    const b = emptyBuild();
    for (const store of flavoured(fp, 'android-asyncstorage')) {
      const as = cache.asyncStorage(store.path);
      const dataKeys = new Set<string>();
      for (const js of as.jsonStores) {
        if (js.envelope !== 'redux-persist' || js.state === null || typeof js.state !== 'object') continue;
        const slices = js.state as Record<string, unknown>;
        const collections: string[] = [];
        for (const slice of Object.keys(slices).sort()) {
          const value = slices[slice];
          if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
          const obj = value as Record<string, unknown>;
          const itemsField = Object.keys(obj).find(
            (k) => k !== 'syncQueue' && Array.isArray(obj[k]) && (obj[k] as unknown[]).length > 0 && (obj[k] as unknown[]).every((x) => x !== null && typeof x === 'object' && 'id' in x),
          );
          if (itemsField === undefined) continue;
          const collection = snakeCase(slice);
          collections.push(collection);
          b.specs.push({
            kind: 'asyncstorage',
            store: store.path,
            key: js.key,
            path: `${slice}.${itemsField}`,
            collection,
            mapping: camelMapping({ status: STATUS, syncedBefore: 'syncMetadata.lastSyncedAt', drop: ['syncMetadata'] }),
          });
          b.aliases[`${js.key}/${slice}`] = collection;
          const last = timeOf(obj['lastSyncedAt']);
          b.syncMeta.push({ collection, cursor: null, lastSyncAt: last, initialSyncComplete: last !== null });
        }
        if (collections.length > 0) {
          dataKeys.add(js.key);
          b.keyValueKeys.push({ store: store.path, key: js.key, role: 'data', collections });
        }
      }
      for (const e of as.entries) if (!dataKeys.has(e.key)) b.keyValueKeys.push({ store: store.path, key: e.key, role: 'config', collections: [] });
    }
    return b;
  },
};

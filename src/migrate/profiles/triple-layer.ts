/**
 * Triple layer: one app keeping every record three times. SQLite tables (`moods`, `exercises`,
 * `user_progress` with `sync_status`, an `outbox` table and `sync_metadata`), react-native-mmkv
 * Zustand `persist` stores mirroring the same records (plus the store's own `pendingSync` queue),
 * and the server's copy as a Convex export (in the snapshot or given with `--server`). The SQLite
 * tables define the record shape: store fields without a SQLite column are UI state and dropped
 * (listed in the report); MMKV keys holding stores become data keys to clean up, the rest stay.
 */
import { normaliseTimestamp } from '../timestamps.js';
import { snakeCase } from '../normalise.js';
import { CONVEX_MAPPING, readPath, type SourceSpec } from './sources.js';
import { camelMapping, emptyBuild, evidenceOf, flavoured, snakeMapping, SYNC_STATUS_COLUMN, type ProfileDefinition } from './fingerprint.js';

const BOOKKEEPING = new Set(['outbox', 'sync_metadata', 'sqlite_sequence']);
const CAMEL_SYNC = ['id', 'serverId', 'userId', 'createdAt', 'updatedAt', 'deletedAt', 'version', 'vectorClock'];

export const tripleLayer: ProfileDefinition = {
  name: 'triple-layer',
  description: 'SQLite tables + outbox, MMKV Zustand stores, Convex export',
  detect(fp) {
    const stores = flavoured(fp, 'triple-layer');
    if (stores.length === 0) return null;
    return [...evidenceOf(stores, 'triple-layer'), ...fp.mmkv.map((m) => `MMKV store ${m}`), ...fp.convex.map((c) => `Convex export ${c}`)];
  },
  build(fp, cache) {
    const b = emptyBuild();
    const columnsOf = new Map<string, string[]>();
    for (const store of flavoured(fp, 'triple-layer')) {
      for (const [table, cols] of store.tables) {
        if (BOOKKEEPING.has(table) || !cols.includes('id')) continue;
        const rename: Record<string, string> = {};
        for (const c of cols) if (c.endsWith('_json')) rename[c] = c.slice(0, -5);
        b.specs.push({ kind: 'sqlite', store: store.path, table, collection: table, mapping: snakeMapping(cols, 'id', { status: SYNC_STATUS_COLUMN, rename }) });
        columnsOf.set(table, cols.map((c) => rename[c] ?? c));
      }
      if (store.tables.has('sync_metadata')) {
        const rows = cache.db(store.path).prepare('SELECT * FROM sync_metadata ORDER BY rowid').all() as Array<Record<string, unknown>>;
        for (const r of rows) {
          b.syncMeta.push({
            collection: String(r['collection']),
            cursor: r['server_cursor'] == null ? null : String(r['server_cursor']),
            lastSyncAt: timeOf(r['last_sync_time']),
            initialSyncComplete: r['last_sync_time'] != null,
          });
        }
      }
    }
    for (const path of fp.mmkv) {
      const inst = cache.mmkvInstance(path);
      const dataKeys = new Set<string>();
      for (const js of inst.jsonStores) {
        if (js.envelope !== 'zustand' || js.state === null || typeof js.state !== 'object') continue;
        const state = js.state as Record<string, unknown>;
        const collections: string[] = [];
        const queues: string[] = [];
        for (const prop of Object.keys(state).sort()) {
          const arr = state[prop];
          if (!Array.isArray(arr) || arr.length === 0 || !arr.every((x) => x !== null && typeof x === 'object')) continue;
          if (arr.every((x) => 'opId' in (x as object))) queues.push(prop);
          else if (arr.every((x) => 'id' in (x as object))) collections.push(prop);
        }
        for (const prop of collections) {
          const collection = snakeCase(prop);
          const sqliteCols = columnsOf.get(collection);
          const fields = new Set<string>();
          for (const item of state[prop] as Array<Record<string, unknown>>) for (const k of Object.keys(item)) fields.add(k);
          // the SQLite table is the record's shape; other store fields are UI state
          const drop = sqliteCols === undefined ? [] : [...fields].filter((f) => !CAMEL_SYNC.includes(f) && !sqliteCols.includes(snakeCase(f))).sort();
          b.specs.push({
            kind: 'mmkv',
            store: path,
            key: js.key,
            path: prop,
            collection,
            mapping: camelMapping({ drop }),
          });
          if (drop.length > 0) {
            cache.findings.push({
              code: 'MIGRATE_UI_FIELDS_DROPPED',
              severity: 'info',
              message: `fields with no column in SQLite's ${collection} are UI state and not migrated: ${drop.join(', ')}`,
              store: path,
              ref: `${js.key}:state.${prop}`,
            });
          }
        }
        for (const prop of queues) {
          const collection = collections.length > 0 ? snakeCase(collections[0]!) : snakeCase(js.key.replace(/-store$/, ''));
          (readPath(state, prop) as Array<Record<string, unknown>>).forEach((e, i) => {
            const queued = normaliseTimestamp(e['queuedAt']);
            const type = String(e['type'] ?? '');
            b.extraOps.push({
              id: String(e['opId']),
              shape: 'triple-layer',
              store: path,
              queue: `${js.key}.${prop}`,
              seq: i,
              collection,
              recordId: typeof e['recordId'] === 'string' ? e['recordId'] : null,
              recordTable: collection,
              op: type === 'create' || type === 'update' || type === 'delete' ? type : null,
              rawOp: type,
              payload: null,
              payloadText: null,
              payloadError: null,
              idempotencyKey: null,
              status: 'pending',
              rawStatus: null,
              attempts: typeof e['attempts'] === 'number' ? e['attempts'] : 0,
              maxAttempts: null,
              lastError: typeof e['lastError'] === 'string' ? e['lastError'] : null,
              dependsOn: [],
              createdAt: queued?.ok === true ? queued.ms : null,
              createdAtUnit: null,
              lastAttemptAt: null,
              nextAttemptAt: null,
              deviceId: null,
              baseVersion: null,
              updatedAt: null,
            });
          });
        }
        if (collections.length > 0 || queues.length > 0) dataKeys.add(js.key);
        if (collections.length > 0 || queues.length > 0) {
          b.keyValueKeys.push({ store: path, key: js.key, role: 'data', collections: collections.map(snakeCase) });
        }
      }
      for (const e of inst.entries) if (!dataKeys.has(e.key)) b.keyValueKeys.push({ store: path, key: e.key, role: 'config', collections: [] });
    }
    const collections = new Set(b.specs.map((s) => s.collection));
    for (const c of [...collections].sort()) b.specs.push(serverSpec(c));
    return b;
  },
};

/** The Convex table of a collection: camelCase of its name (`user_progress` → `userProgress`). */
export function serverSpec(collection: string): SourceSpec {
  const table = collection.replace(/_([a-z0-9])/g, (_m, ch: string) => ch.toUpperCase());
  return { kind: 'convex', table, collection, mapping: CONVEX_MAPPING };
}

export function timeOf(v: unknown): number | null {
  const r = normaliseTimestamp(v);
  return r?.ok === true ? r.ms : null;
}

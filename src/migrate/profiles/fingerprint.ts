/**
 * What a snapshot looks like, as far as choosing a profile goes: each SQLite store's tables and
 * columns with the flavours the foundation's detector recognises, the MMKV stores, and any Convex
 * export. Cheap by design (schema only: no row counts, no integrity scan), so a million-row store
 * is fingerprinted as fast as a small one. Every profile decides from this and says why.
 */
import { detectFlavours, type FlavourMatch } from '../../readers/sqlite-flavour.js';
import { quoteIdent, type SqliteSchema } from '../../readers/sqlite.js';
import type { Snapshot } from '../../snapshot/types.js';
import type { FieldMapping, KeyValueKey, SyncMetaEntry } from '../types.js';
import type { OutboxOp } from '../../outbox/types.js';
import type { SourceSpec, StoreCache } from './sources.js';

export interface SqliteFingerprint {
  path: string;
  /** Table name → column names (no sqlite_ internals). */
  tables: Map<string, string[]>;
  flavours: FlavourMatch[];
}

export interface SnapshotFingerprint {
  sqlite: SqliteFingerprint[];
  mmkv: string[];
  convex: string[];
}

export function fingerprintSnapshot(snapshot: Snapshot, cache: StoreCache): SnapshotFingerprint {
  const mmkv = snapshot.stores.filter((s) => s.kind === 'mmkv').map((s) => s.path).sort();
  const convex = snapshot.stores.filter((s) => s.kind === 'convex-export').map((s) => s.path).sort();
  const sqlite: SqliteFingerprint[] = [];
  for (const store of [...snapshot.stores].filter((s) => s.kind === 'sqlite').sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const db = cache.db(store.path);
    const names = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").all() as Array<{ name: string }>
    ).map((r) => r.name);
    const tables = new Map<string, string[]>();
    const schema: SqliteSchema = {
      userVersion: 0,
      journalMode: '',
      pageSize: 0,
      pageCount: 0,
      encoding: '',
      quickCheck: [],
      problems: [],
      tables: names.map((name) => {
        const columns = (db.prepare(`PRAGMA table_info(${quoteIdent(name)})`).all() as Array<{ name: string; type: string; notnull: number; pk: number }>).map(
          (c) => ({ name: c.name, type: c.type, notNull: c.notnull === 1, primaryKeyPosition: c.pk }),
        );
        tables.set(
          name,
          columns.map((c) => c.name),
        );
        return { name, rowCount: null, columns, indexes: [], primaryKey: [] };
      }),
    };
    const { flavours } = detectFlavours(db, schema, { mmkvStores: mmkv.length });
    sqlite.push({ path: store.path, tables, flavours });
  }
  return { sqlite, mmkv, convex };
}

/** What a profile contributes besides its sources. */
export interface ProfileBuild {
  specs: SourceSpec[];
  /** Queue collection names (or record tables) → profile collection. */
  aliases: Record<string, string>;
  syncMeta: SyncMetaEntry[];
  keyValueKeys: KeyValueKey[];
  /** Queue entries the outbox reader does not know (e.g. a Zustand store's own queue). */
  extraOps: Array<Omit<OutboxOp, 'position'>>;
  /** Collections without a status column: pending when an open op targets the record, else synced. */
  statusFromQueue: string[];
}

export interface ProfileDefinition {
  name: string;
  description: string;
  /** Evidence that the snapshot has this layout, or null when it does not. */
  detect(fp: SnapshotFingerprint): string[] | null;
  build(fp: SnapshotFingerprint, cache: StoreCache): ProfileBuild;
}

export function emptyBuild(): ProfileBuild {
  return { specs: [], aliases: {}, syncMeta: [], keyValueKeys: [], extraOps: [], statusFromQueue: [] };
}

export function flavoured(fp: SnapshotFingerprint, flavour: FlavourMatch['flavour']): SqliteFingerprint[] {
  return fp.sqlite.filter((s) => s.flavours.some((f) => f.flavour === flavour));
}

/** Evidence for a profile that is exactly one SQLite flavour, or null when no store has it. */
export function detectFlavour(fp: SnapshotFingerprint, flavour: FlavourMatch['flavour']): string[] | null {
  const stores = flavoured(fp, flavour);
  return stores.length === 0 ? null : evidenceOf(stores, flavour);
}

/** The `sync_status` column most hand-written SQLite layers use. */
export const SYNC_STATUS_COLUMN = { field: 'sync_status', pending: ['pending'], deleted: ['deleted'], failed: ['failed', 'error'], synced: ['synced'] };

export function evidenceOf(stores: SqliteFingerprint[], flavour: FlavourMatch['flavour']): string[] {
  return stores.flatMap((s) => (s.flavours.find((f) => f.flavour === flavour)?.evidence ?? []).map((e) => `${s.path}: ${e}`));
}

/** The camelCase record shape JavaScript stores (Zustand, redux-persist) use. */
export function camelMapping(extra: Partial<FieldMapping> = {}): FieldMapping {
  return { id: 'id', serverId: 'serverId', userId: 'userId', createdAt: 'createdAt', updatedAt: 'updatedAt', deletedAt: 'deletedAt', version: 'version', ...extra };
}

/** The standard snake_case device mapping, given which sync columns a table has. */
export function snakeMapping(columns: string[], idColumn: string, extra: Partial<FieldMapping> = {}): FieldMapping {
  const has = (c: string): string | undefined => (columns.includes(c) ? c : undefined);
  const m: FieldMapping = { id: idColumn, ...extra };
  const set = <K extends keyof FieldMapping>(k: K, v: FieldMapping[K] | undefined): void => {
    if (v !== undefined && m[k] === undefined) m[k] = v;
  };
  set('serverId', has('server_id'));
  set('userId', has('user_id'));
  set('createdAt', has('created_at'));
  set('updatedAt', has('updated_at'));
  set('deletedAt', has('deleted_at'));
  set('version', has('version'));
  set('vectorClock', has('vector_clock'));
  return m;
}

/**
 * Key-value stores in a snapshot (MMKV instances, AsyncStorage) summarised for `inspect`, and the
 * cross-layer duplicates between them and SQLite: a record whose id is in a SQLite table and in a
 * collection decoded from an MMKV/AsyncStorage value (Zustand, redux-persist, JSON). Each pair is
 * compared field by field after normalising names (`updated_at` ~ `updatedAt`, `tags_json` ~
 * `tags`) and values (timestamps to ms, booleans to 0/1); the result says which fields differ and
 * which side is newer. Only fields both sides hold are compared: UI-only and sync-only fields are
 * not differences. Reads private copies only; never prints.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isSyncdocError } from '../errors.js';
import type { Finding } from '../findings.js';
import { isAndroidAsyncStorage, readAndroidAsyncStorage, readIosAsyncStorage, type AsyncStorageStore } from '../readers/asyncstorage.js';
import { readMmkvInstance, type MmkvDecodeOptions, type MmkvInstance, type MmkvIntegrity } from '../readers/mmkv.js';
import { openSqlite, type SqliteDb } from '../readers/sqlite-open.js';
import { summariseCollections, type CollectionSummary, type DecodedCollection, type JsonRecord } from '../readers/values-collections.js';
import type { Snapshot } from '../snapshot/types.js';
import { quoteIdent } from '../readers/sqlite.js';

/** One MMKV instance or AsyncStorage store, as inspect lists it. */
export interface KeyValueStoreSummary {
  store: string;
  kind: 'mmkv' | 'asyncstorage-android' | 'asyncstorage-ios';
  keys: number;
  removedKeys?: number;
  /** MMKV only: CRC/size verdict and what MMKV would do on load. */
  integrity?: Pick<MmkvIntegrity, 'status' | 'crcOk' | 'sizeWithinFile' | 'onLoad'>;
  encrypted?: boolean;
  collections: CollectionSummary[];
  /** Set when the store could not be decoded (encrypted without key, damaged beyond reading). */
  error?: string;
}

export type NewerSide = 'sqlite' | 'key-value' | 'same' | 'unknown';

export interface CrossLayerRecord {
  id: string;
  equal: boolean;
  /** Field names (as SQLite spells them) whose values differ. */
  differingFields: string[];
  newer: NewerSide;
  sqliteUpdatedAtMs: number | null;
  keyValueUpdatedAtMs: number | null;
  /** The SQLite row is a tombstone (deleted_at set or status deleted) while the copy is live. */
  deletedInSqlite: boolean;
}

export interface CrossLayerPair {
  sqliteStore: string;
  table: string;
  keyValueStore: string;
  collection: string;
  matched: number;
  equal: number;
  different: number;
  /** Ids in the collection that the table does not hold. */
  onlyInKeyValue: string[];
  records: CrossLayerRecord[];
}

export interface KeyValueInspection {
  stores: KeyValueStoreSummary[];
  crossLayer: CrossLayerPair[];
  findings: Finding[];
}

export interface KeyValueInspectOptions {
  mmkv?: Pick<MmkvDecodeOptions, 'key' | 'aesBits'>;
}

interface CollectionSource {
  store: string;
  collection: DecodedCollection;
}

/** Decodes every MMKV/AsyncStorage store of an opened snapshot and compares their collections with SQLite. */
export function inspectKeyValueStores(snapshot: Snapshot, opts: KeyValueInspectOptions = {}): KeyValueInspection {
  const stores: KeyValueStoreSummary[] = [];
  const findings: Finding[] = [];
  const sources: CollectionSource[] = [];
  const sqlite: Array<{ store: string; db: SqliteDb }> = [];
  try {
    for (const ref of snapshot.stores) {
      if (ref.kind === 'sqlite') {
        let db: SqliteDb;
        try {
          db = openSqlite(ref);
        } catch {
          continue; // inspect's own SQLite pass reports unreadable databases
        }
        sqlite.push({ store: ref.path, db });
        if (isAndroidAsyncStorage(db)) {
          const as = readAndroidAsyncStorage(db, ref.path);
          stores.push(asyncSummary(as, 'asyncstorage-android'));
          collect(as, ref.path, sources, findings);
        }
      } else if (ref.kind === 'mmkv') {
        try {
          const crc = ref.companions.crc === undefined ? undefined : readFileSync(ref.companions.crc);
          const inst = readMmkvInstance(readFileSync(ref.localPath), crc, { ...opts.mmkv, name: basename(ref.path), store: ref.path });
          stores.push(mmkvSummary(inst));
          collect(inst, ref.path, sources, findings);
        } catch (err) {
          if (!isSyncdocError(err)) throw err;
          stores.push({ store: ref.path, kind: 'mmkv', keys: 0, collections: [], error: err.message });
          // Encrypted without a key is not damage: inspect takes no key; `syncdoc mmkv` does.
          findings.push(
            err.code === 'E_MMKV_ENCRYPTED'
              ? { code: 'MMKV_ENCRYPTED', severity: 'warn', message: `${err.message}; read it with \`syncdoc mmkv ${ref.path} --key-env VAR\``, store: ref.path }
              : { code: 'MMKV_UNREADABLE', severity: 'error', message: `${err.message}${err.hint ? ` (${err.hint})` : ''}`, store: ref.path },
          );
        }
      } else if (ref.kind === 'asyncstorage-ios' && ref.companions.manifest !== undefined) {
        try {
          const as = readIosAsyncStorage(ref.companions.manifest, ref.path);
          stores.push(asyncSummary(as, 'asyncstorage-ios'));
          collect(as, ref.path, sources, findings);
        } catch (err) {
          if (!isSyncdocError(err)) throw err;
          stores.push({ store: ref.path, kind: 'asyncstorage-ios', keys: 0, collections: [], error: err.message });
        }
      }
    }
    const crossLayer = sources.length === 0 ? [] : compareWithSqlite(sqlite, sources);
    findings.push(...crossLayerFindings(crossLayer));
    return { stores, crossLayer, findings };
  } finally {
    for (const s of sqlite) s.db.close();
  }
}

function collect(s: { collections: DecodedCollection[]; findings: Finding[] }, store: string, sources: CollectionSource[], findings: Finding[]): void {
  for (const c of s.collections) sources.push({ store, collection: c });
  findings.push(...s.findings);
}

function mmkvSummary(inst: MmkvInstance): KeyValueStoreSummary {
  const { status, crcOk, sizeWithinFile, onLoad } = inst.integrity;
  return {
    store: inst.store ?? inst.name,
    kind: 'mmkv',
    keys: inst.entries.length,
    removedKeys: inst.removedKeys.length,
    integrity: { status, crcOk, sizeWithinFile, onLoad },
    encrypted: inst.meta.encrypted,
    collections: summariseCollections(inst.collections),
  };
}

function asyncSummary(as: AsyncStorageStore, kind: KeyValueStoreSummary['kind']): KeyValueStoreSummary {
  return { store: as.store, kind, keys: as.entries.length, collections: summariseCollections(as.collections) };
}

// ---- comparison -------------------------------------------------------------------------------

/** Bound on the ids sent to SQLite per lookup (SQLite's json_each handles any size; memory does not). */
const MAX_IDS_PER_COLLECTION = 100_000;

/** Bookkeeping fields that say nothing about the record's content. */
const SYNC_ONLY = new Set(['syncstatus', 'status', 'changed', 'issynced', 'isdirty', 'syncmetadata', 'lastsyncedat']);
const UPDATED_FIELDS = ['updatedat', 'modifiedat', 'lastmodified', 'updated'];

function normName(name: string): string {
  return name.toLowerCase().replace(/_/g, '');
}

export function compareWithSqlite(sqlite: Array<{ store: string; db: SqliteDb }>, sources: CollectionSource[]): CrossLayerPair[] {
  const pairs: CrossLayerPair[] = [];
  const tables = sqlite.flatMap(({ store, db }) => idTables(db).map((table) => ({ store, db, table })));
  for (const src of sources) {
    const { collection } = src;
    const ids = collection.records.slice(0, MAX_IDS_PER_COLLECTION).map((r) => String(r[collection.idField]));
    if (ids.length === 0) continue;
    for (const t of tables) {
      const rows = t.db
        .prepare(`SELECT * FROM ${quoteIdent(t.table.name)} WHERE CAST(${quoteIdent(t.table.idColumn)} AS TEXT) IN (SELECT value FROM json_each(?))`)
        .all(JSON.stringify(ids)) as JsonRecord[];
      // A mirror shares most ids; a stray match or two (small integer ids) is not one.
      if (rows.length === 0 || rows.length * 2 < Math.min(ids.length, t.table.rowCount)) continue;
      const byId = new Map(rows.map((r) => [String(r[t.table.idColumn]), r]));
      const records: CrossLayerRecord[] = [];
      const onlyInKeyValue: string[] = [];
      for (const rec of collection.records) {
        const id = String(rec[collection.idField]);
        const row = byId.get(id);
        if (row === undefined) onlyInKeyValue.push(id);
        else records.push(compareRecord(id, row, rec, collection.idField, t.table.idColumn));
      }
      const equal = records.filter((r) => r.equal).length;
      pairs.push({
        sqliteStore: t.store,
        table: t.table.name,
        keyValueStore: src.store,
        collection: collection.name,
        matched: records.length,
        equal,
        different: records.length - equal,
        onlyInKeyValue,
        records,
      });
    }
  }
  return pairs;
}

interface IdTable {
  name: string;
  idColumn: string;
  rowCount: number;
}

/** Tables with an `id`-like column (or a single-column primary key). */
function idTables(db: SqliteDb): IdTable[] {
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>;
  const out: IdTable[] = [];
  for (const { name } of names) {
    const cols = db.prepare('SELECT name, pk FROM pragma_table_info(?)').all(name) as Array<{ name: string; pk: number }>;
    const id = cols.find((c) => c.name === 'id') ?? cols.find((c) => c.name === 'client_id') ?? (cols.filter((c) => c.pk > 0).length === 1 ? cols.find((c) => c.pk > 0) : undefined);
    if (id === undefined) continue;
    const count = db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(name)}`).get() as { n: number };
    out.push({ name, idColumn: id.name, rowCount: count.n });
  }
  return out;
}

export function compareRecord(id: string, row: JsonRecord, rec: JsonRecord, kvId: string, sqlId: string): CrossLayerRecord {
  const kvByNorm = new Map<string, string>();
  for (const k of Object.keys(rec)) kvByNorm.set(normName(k), k);
  const differing: string[] = [];
  for (const [col, sqlValue] of Object.entries(row)) {
    if (col === sqlId) continue;
    const n = normName(col);
    if (SYNC_ONLY.has(n)) continue;
    let kvName = kvByNorm.get(n);
    let left: unknown = sqlValue;
    // `tags_json` TEXT beside a `tags` array: compare the parsed JSON.
    if (kvName === undefined && n.endsWith('json')) {
      kvName = kvByNorm.get(n.slice(0, -4));
      if (kvName !== undefined && typeof sqlValue === 'string') left = parseJson(sqlValue);
    }
    if (kvName === undefined || kvName === kvId) continue;
    if (!sameValue(n, left, rec[kvName])) differing.push(col);
  }
  const sqlUpdated = updatedAt(row);
  const kvUpdated = updatedAt(rec);
  const newer: NewerSide =
    sqlUpdated === null || kvUpdated === null ? 'unknown' : sameTime(sqlUpdated, kvUpdated) ? 'same' : sqlUpdated.ms > kvUpdated.ms ? 'sqlite' : 'key-value';
  const deletedInSqlite = isTombstone(row);
  return {
    id,
    equal: differing.length === 0 && !deletedInSqlite,
    differingFields: differing,
    newer,
    sqliteUpdatedAtMs: sqlUpdated?.ms ?? null,
    keyValueUpdatedAtMs: kvUpdated?.ms ?? null,
    deletedInSqlite,
  };
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

function isTombstone(row: JsonRecord): boolean {
  for (const [k, v] of Object.entries(row)) {
    const n = normName(k);
    if (n === 'deletedat' && v !== null && v !== undefined && v !== 0) return true;
    if ((n === 'syncstatus' || n === 'status') && v === 'deleted') return true;
    if (n === 'isdeleted' && (v === 1 || v === true)) return true;
  }
  return false;
}

interface Time {
  ms: number;
  /** The source had only second precision (seconds number, or ISO without ms). */
  coarse: boolean;
}

function isTimeField(n: string): boolean {
  return n.endsWith('at') || n.endsWith('time') || n.endsWith('date') || n === 'timestamp';
}

/** ms since epoch from ms, seconds (< 1e11) or ISO-8601; null when not a time. */
function toTime(v: unknown): Time | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? { ms: v * 1000, coarse: true } : { ms: v, coarse: false };
  if (typeof v === 'bigint') return toTime(Number(v));
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? null : { ms, coarse: !/\.\d+/.test(v) };
  }
  return null;
}

function sameTime(a: Time, b: Time): boolean {
  return a.coarse || b.coarse ? Math.abs(a.ms - b.ms) < 1000 : a.ms === b.ms;
}

function updatedAt(r: JsonRecord): Time | null {
  for (const [k, v] of Object.entries(r)) if (UPDATED_FIELDS.includes(normName(k))) return toTime(v);
  return null;
}

function sameValue(field: string, a: unknown, b: unknown): boolean {
  if (isTimeField(field)) {
    const ta = toTime(a);
    const tb = toTime(b);
    if (ta !== null && tb !== null) return sameTime(ta, tb);
  }
  return canonical(a) === canonical(b);
}

/** Booleans as 0/1, numbers by value, objects with sorted keys: SQLite and JSON spell these differently. */
function canonical(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number' || typeof v === 'bigint') return String(Number(v));
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(String(v));
}

const MAX_IDS_IN_MESSAGE = 5;

export function crossLayerFindings(pairs: CrossLayerPair[]): Finding[] {
  const out: Finding[] = [];
  for (const p of pairs) {
    const where = `${p.table} ↔ ${p.keyValueStore} ${p.collection}`;
    if (p.equal > 0) {
      const ids = p.records.filter((r) => r.equal).map((r) => r.id);
      out.push({
        code: 'CROSS_LAYER_DUPLICATE_EQUAL',
        severity: 'info',
        message: `${p.equal} record(s) held both in SQLite ${p.table} and in ${p.keyValueStore} ${p.collection} with the same content${ids.length > 0 ? ` (e.g. ${ids.slice(0, MAX_IDS_IN_MESSAGE).join(', ')})` : ''}`,
        store: p.sqliteStore,
        ref: where,
      });
    }
    for (const r of p.records) {
      if (r.equal) continue;
      const side = r.newer === 'sqlite' ? 'SQLite is newer' : r.newer === 'key-value' ? 'the key-value copy is newer' : r.newer === 'same' ? 'same updatedAt' : 'no updatedAt to tell which is newer';
      const what = r.deletedInSqlite ? 'deleted in SQLite but live in the key-value copy' : `fields differ: ${r.differingFields.join(', ')}`;
      out.push({ code: 'CROSS_LAYER_DUPLICATE_DIFFERS', severity: 'warn', message: `${what}; ${side}`, store: p.sqliteStore, ref: `${p.table}:${r.id} ↔ ${p.collection}` });
    }
    if (p.onlyInKeyValue.length > 0) {
      out.push({
        code: 'CROSS_LAYER_ONLY_IN_KV',
        severity: 'info',
        message: `${p.onlyInKeyValue.length} record(s) of ${p.collection} are not in SQLite ${p.table}: ${p.onlyInKeyValue.slice(0, MAX_IDS_IN_MESSAGE).join(', ')}${p.onlyInKeyValue.length > MAX_IDS_IN_MESSAGE ? ', …' : ''}`,
        store: p.keyValueStore,
        ref: where,
      });
    }
  }
  return out;
}

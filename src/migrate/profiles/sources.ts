/**
 * The readers every profile is built from: a declarative `SourceSpec` (which store, which table,
 * key or array path, which collection, which field mapping) turned into normalised records. Built-in
 * profiles discover their specs from a snapshot's fingerprint; a custom profile (JSON file) lists
 * them. Only the snapshot's private copies are opened, read-only, through the other areas' readers
 * (SQLite helpers, MMKV decoder, AsyncStorage reader, Convex export reader).
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../../errors.js';
import type { Finding } from '../../findings.js';
import { readAndroidAsyncStorage } from '../../readers/asyncstorage.js';
import { openConvexExport, type ConvexDocument, type ConvexValue } from '../../readers/convex-export.js';
import { readMmkvInstance, type MmkvInstance } from '../../readers/mmkv.js';
import { openSqlite, type SqliteDb } from '../../readers/sqlite-open.js';
import { quoteIdent } from '../../readers/sqlite.js';
import type { Snapshot, StoreRef } from '../../snapshot/types.js';
import { normaliseRow, snakeCase, type NormaliseLog } from '../normalise.js';
import type { FieldMapping, Layer, SourceBatch } from '../types.js';

export type SourceSpec =
  | { kind: 'sqlite'; store: string; table: string; collection: string; mapping: FieldMapping }
  /** An array inside a JSON value of an MMKV key (Zustand: `state.moods`). */
  | { kind: 'mmkv'; store: string; key: string; path: string; collection: string; mapping: FieldMapping }
  /** An array inside a JSON value of an AsyncStorage key (redux-persist: `quotes.items`). */
  | { kind: 'asyncstorage'; store: string; key: string; path: string; collection: string; mapping: FieldMapping }
  /** A table of the Convex export. */
  | { kind: 'convex'; table: string; collection: string; mapping: FieldMapping };

/** The mapping of a Convex document: camelCase fields, `_id` is the server id, `clientId` the device id. */
export const CONVEX_MAPPING: FieldMapping = {
  id: 'clientId',
  serverId: '_id',
  userId: 'userId',
  createdAt: 'createdAt',
  updatedAt: 'updatedAt',
  deletedAt: 'deletedAt',
  version: 'version',
  vectorClock: 'vectorClock',
  drop: ['_creationTime'],
};

/** Reads a dotted path (`state.moods`, `syncMetadata.isDirty`) from a decoded value. */
export function readPath(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const part of path === '' ? [] : path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = Object.hasOwn(cur, part) ? (cur as Record<string, unknown>)[part] : undefined;
  }
  return cur;
}

export function findStore(snapshot: Snapshot, path: string): StoreRef {
  const store = snapshot.stores.find((s) => s.path === path);
  if (store === undefined) {
    throw new InputError(`the profile names a store the snapshot does not have: ${path}`, {
      code: 'E_PROFILE_STORE',
      subject: snapshot.input,
      hint: `stores: ${snapshot.stores.map((s) => s.path).join(', ')}`,
    });
  }
  return store;
}

/** Decoded stores, opened once per migration. */
export class StoreCache {
  private readonly sqlite = new Map<string, SqliteDb>();
  private readonly mmkv = new Map<string, MmkvInstance>();
  private readonly async = new Map<string, ReturnType<typeof readAndroidAsyncStorage>>();
  readonly findings: Finding[] = [];

  constructor(readonly snapshot: Snapshot) {}

  db(path: string): SqliteDb {
    let db = this.sqlite.get(path);
    if (db === undefined) {
      db = openSqlite(findStore(this.snapshot, path));
      this.sqlite.set(path, db);
    }
    return db;
  }

  mmkvInstance(path: string): MmkvInstance {
    let inst = this.mmkv.get(path);
    if (inst === undefined) {
      const store = findStore(this.snapshot, path);
      const crc = store.companions.crc === undefined ? undefined : readFileSync(store.companions.crc);
      inst = readMmkvInstance(readFileSync(store.localPath), crc, { name: path.split('/').pop() ?? path, store: path });
      this.findings.push(...inst.findings);
      this.mmkv.set(path, inst);
    }
    return inst;
  }

  asyncStorage(path: string): ReturnType<typeof readAndroidAsyncStorage> {
    let s = this.async.get(path);
    if (s === undefined) {
      s = readAndroidAsyncStorage(this.db(path), path);
      this.findings.push(...s.findings);
      this.async.set(path, s);
    }
    return s;
  }

  /** The decoded JSON (Zustand state, redux-persist slices, plain JSON) of a key-value store key. */
  jsonState(kind: 'mmkv' | 'asyncstorage', path: string, key: string): unknown {
    const stores = kind === 'mmkv' ? this.mmkvInstance(path).jsonStores : this.asyncStorage(path).jsonStores;
    return stores.find((s) => s.key === key)?.state;
  }

  close(): void {
    for (const db of this.sqlite.values()) db.close();
    this.sqlite.clear();
  }
}

/** The rowid alias read beside every SQLite row (removed before the row is normalised). */
const ROWID = 'syncdoc:rowid';

const LAYER_OF: Record<SourceSpec['kind'], Layer> = { sqlite: 'sqlite', mmkv: 'mmkv', asyncstorage: 'asyncstorage', convex: 'server' };

/** Reads one device-side source into a batch of normalised records. */
export function readDeviceSource(
  spec: Exclude<SourceSpec, { kind: 'convex' }>,
  cache: StoreCache,
  log: NormaliseLog,
  /** SQLite only: the rows to read (the rest were planned as a bulk copy). */
  where?: { sql: string; params: unknown[] },
  /** Receives the raw SQLite rows read and their rowids (the bulk copy copies every other row). */
  onRows?: (rows: Array<Record<string, unknown>>, rowids: number[]) => void,
): SourceBatch {
  const layer = LAYER_OF[spec.kind];
  let rows: unknown[];
  let source: string;
  if (spec.kind === 'sqlite') {
    source = `${spec.store}#${spec.table}`;
    const filter = where === undefined ? '' : ` WHERE ${where.sql}`;
    const stmt = cache
      .db(spec.store)
      .prepare(`SELECT rowid AS "${ROWID}", * FROM ${quoteIdent(spec.table)}${filter} ORDER BY rowid`)
      .raw(true);
    const names = stmt.columns().map((c) => c.name);
    // each row's object built here without the rowid (deleting a key from better-sqlite3's row
    // objects made every one a slow dictionary object); a repeated column name keeps its last value
    const read: Array<Record<string, unknown>> = [];
    const rowids: number[] = [];
    for (const values of stmt.all(...(where?.params ?? [])) as unknown[][]) {
      rowids.push(values[0] as number);
      const row: Record<string, unknown> = {};
      for (let i = 1; i < names.length; i++) row[names[i]!] = values[i];
      read.push(row);
    }
    onRows?.(read, rowids);
    rows = read;
  } else {
    source = `${spec.store}#${spec.key}:${spec.path}`;
    const value = readPath(cache.jsonState(spec.kind, spec.store, spec.key), spec.path);
    rows = Array.isArray(value) ? value : [];
  }
  const ctx = { collection: spec.collection, layer, source, mapping: spec.mapping, log };
  const records = [];
  for (const [i, raw] of rows.entries()) {
    const r = normaliseRow(raw, i, ctx);
    if (r !== null) records.push(r);
  }
  return { collection: spec.collection, layer, source, records };
}

/** Reads the Convex export's tables for the given specs (documents without `clientId` use `_id`). */
export async function readServerSources(exportPath: string, specs: Array<Extract<SourceSpec, { kind: 'convex' }>>, log: NormaliseLog): Promise<SourceBatch[]> {
  const exp = await openConvexExport(exportPath);
  try {
    const batches: SourceBatch[] = [];
    for (const spec of specs) {
      if (!exp.tables.some((t) => t.name === spec.table)) continue;
      const source = `${exportPath.split('/').pop() ?? exportPath}#${spec.table}`;
      const ctx = { collection: spec.collection, layer: 'server' as const, source, mapping: spec.mapping, log };
      const records = [];
      let i = 0;
      for await (const doc of exp.documents(spec.table)) {
        const plain = plainDocument(doc);
        if (plain[spec.mapping.id] === undefined && typeof plain['_id'] === 'string') plain[spec.mapping.id] = plain['_id'];
        const r = normaliseRow(plain, i++, ctx);
        if (r !== null) records.push(r);
      }
      batches.push({ collection: spec.collection, layer: 'server', source, records });
    }
    return batches;
  } finally {
    exp.close();
  }
}

/** Convex values as plain JSON: int64 within 2^53 as numbers (else decimal text), bytes as base64. */
function plainDocument(doc: ConvexDocument): Record<string, unknown> {
  const conv = (v: ConvexValue): unknown => {
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    if (Array.isArray(v)) return v.map(conv);
    if (v !== null && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(v)) o[k] = conv(v[k]!);
      return o;
    }
    return v;
  };
  return conv(doc) as Record<string, unknown>;
}

/** Convex table name → collection name (`userProgress` → `user_progress`). */
export function collectionOfTable(table: string): string {
  return snakeCase(table);
}

/**
 * The tables `syncdoc query` offers beside the attached SQLite stores: one per MMKV instance and
 * per AsyncStorage store (`key`, `type`, `value`, `raw`, plus `expire_at` for MMKV), one per decoded
 * collection (a column per record field; nested values as JSON text), and `_tables`, the index of
 * them all. Names are derived from store and collection names, made safe and unique, so the same
 * snapshot always gives the same names.
 */
import type { AsyncStorageStore } from '../readers/asyncstorage.js';
import type { MmkvInstance } from '../readers/mmkv.js';
import type { DecodedCollection } from '../readers/values-collections.js';

export type SqlValue = string | number | bigint | Buffer | null;

export interface QueryTable {
  name: string;
  kind: 'mmkv' | 'asyncstorage' | 'collection';
  /** The store the rows come from (path inside the snapshot). */
  store: string;
  /** For collections: the key and path inside it (`mood-store` / `state.moods`). */
  source: string;
  columns: string[];
  rows: SqlValue[][];
}

/** SQL identifiers: letters, digits and `_`, not starting with a digit. */
export function safeIdentifier(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  const t = s === '' ? 't' : s;
  return /^[0-9]/.test(t) ? `t_${t}` : t;
}

/** Gives each wanted name a unique safe form (case-insensitive, as SQLite compares names). */
export class NameAllocator {
  private readonly used = new Set<string>();
  constructor(reserved: Iterable<string> = []) {
    for (const r of reserved) this.used.add(r.toLowerCase());
  }
  take(wanted: string): string {
    const base = safeIdentifier(wanted);
    let name = base;
    for (let i = 2; this.used.has(name.toLowerCase()); i++) name = `${base}_${i}`;
    this.used.add(name.toLowerCase());
    return name;
  }
}

export function mmkvTable(inst: MmkvInstance, names: NameAllocator): QueryTable {
  const base = inst.name.startsWith('mmkv') ? inst.name : `mmkv_${inst.name}`;
  return {
    name: names.take(base),
    kind: 'mmkv',
    store: inst.store ?? inst.name,
    source: inst.name,
    columns: ['key', 'type', 'value', 'raw', 'expire_at'],
    rows: inst.entries.map((e) => [e.key, e.type, sqlValue(e.value), Buffer.from(e.rawHex, 'hex'), e.expireAt]),
  };
}

export function asyncStorageTable(store: AsyncStorageStore, names: NameAllocator): QueryTable {
  return {
    name: names.take(`asyncstorage_${asyncStorageName(store.store)}`),
    kind: 'asyncstorage',
    store: store.store,
    source: store.platform,
    columns: ['key', 'type', 'value', 'raw'],
    rows: store.entries.map((e) => [e.key, 'string', e.value, Buffer.from(e.value, 'utf8')]),
  };
}

/** `databases/RKStorage` → RKStorage; `…/RCTAsyncLocalStorage_V1/manifest.json` → RCTAsyncLocalStorage_V1. */
function asyncStorageName(path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  if (parts[parts.length - 1] === 'manifest.json') parts.pop();
  return parts[parts.length - 1] ?? 'store';
}

export function collectionTable(coll: DecodedCollection, store: string, names: NameAllocator): QueryTable {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of coll.records) {
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
    }
  }
  return {
    name: names.take(coll.name),
    kind: 'collection',
    store,
    source: `${coll.key} ${coll.path}`,
    columns,
    rows: coll.records.map((r) => columns.map((c) => sqlValue(r[c]))),
  };
}

/** A JS value as SQLite stores it: booleans 0/1, objects and arrays as JSON text. */
export function sqlValue(v: unknown): SqlValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v;
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

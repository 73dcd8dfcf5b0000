/**
 * AsyncStorage readers. Android's classic store is the SQLite database `RKStorage` with one table
 * `catalystLocalStorage(key TEXT PRIMARY KEY, value TEXT NOT NULL)`; iOS keeps
 * `RCTAsyncLocalStorage_V1/manifest.json` (key → value, or null when the value was too large and
 * lives in a side file named by the MD5 hex of the key). Values are strings; JSON ones (redux-persist
 * `persist:*` roots, Zustand envelopes) are decoded into slices and collections. Only private
 * copies are read; problems in the data are findings, an unreadable store is an InputError.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import type { Finding } from '../findings.js';
import type { SqliteDb } from './sqlite-open.js';
import { JsonValueCollector, type DecodedCollection, type JsonEnvelope, type JsonStore } from './values-collections.js';

export type AsyncStoragePlatform = 'android' | 'ios';

export interface AsyncStorageEntry {
  key: string;
  value: string;
  sizeBytes: number;
  /** iOS: the value came from a side file (`<md5 of key>`), not from manifest.json. */
  spillFile?: string;
  json?: JsonEnvelope;
}

/** redux-persist: the slices (each decoded a second time); Zustand: the state; else the value. */
export type AsyncStorageJsonStore = JsonStore;

export interface AsyncStorageStore {
  platform: AsyncStoragePlatform;
  store: string;
  entries: AsyncStorageEntry[];
  collections: DecodedCollection[];
  jsonStores: AsyncStorageJsonStore[];
  findings: Finding[];
}

export const ANDROID_ASYNCSTORAGE_TABLE = 'catalystLocalStorage';

/** True when a SQLite database is Android AsyncStorage (has `catalystLocalStorage`). */
export function isAndroidAsyncStorage(db: SqliteDb): boolean {
  const row = db.prepare("SELECT 1 AS ok FROM sqlite_master WHERE type = 'table' AND name = ?").get(ANDROID_ASYNCSTORAGE_TABLE);
  return row !== undefined;
}

/** Reads Android's `catalystLocalStorage` from an opened (read-only, private copy) database. */
export function readAndroidAsyncStorage(db: SqliteDb, store: string): AsyncStorageStore {
  let rows: Array<{ key: unknown; value: unknown }>;
  try {
    rows = db.prepare(`SELECT key, value FROM ${ANDROID_ASYNCSTORAGE_TABLE} ORDER BY key`).all() as Array<{ key: unknown; value: unknown }>;
  } catch (err) {
    throw new InputError(`cannot read ${ANDROID_ASYNCSTORAGE_TABLE} (${err instanceof Error ? err.message : String(err)})`, {
      code: 'E_ASYNCSTORAGE_UNREADABLE',
      subject: store,
      hint: 'the RKStorage database is damaged; pull it again from the device',
    });
  }
  const findings: Finding[] = [];
  const raw: Array<{ key: string; value: string }> = [];
  for (const r of rows) {
    if (typeof r.key !== 'string' || typeof r.value !== 'string') {
      findings.push({ code: 'ASYNCSTORAGE_NON_TEXT', severity: 'warn', message: 'row whose key or value is not TEXT (AsyncStorage only writes strings); skipped', store, ref: String(r.key) });
      continue;
    }
    raw.push({ key: r.key, value: r.value });
  }
  return decodeEntries('android', store, raw, findings);
}

/**
 * Reads an iOS `manifest.json` (path of the private copy); side files are looked up beside it.
 * `store` names it in findings (its path inside the snapshot).
 */
export function readIosAsyncStorage(manifestPath: string, store: string): AsyncStorageStore {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (err) {
    throw new InputError(`cannot read AsyncStorage manifest.json (${err instanceof Error ? err.message : String(err)})`, {
      code: 'E_ASYNCSTORAGE_UNREADABLE',
      subject: store,
      hint: 'manifest.json must be the JSON object RCTAsyncLocalStorage writes; pull RCTAsyncLocalStorage_V1 again',
    });
  }
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
    throw new InputError('AsyncStorage manifest.json is not a JSON object', { code: 'E_ASYNCSTORAGE_UNREADABLE', subject: store, hint: 'pull RCTAsyncLocalStorage_V1 again' });
  }
  const findings: Finding[] = [];
  const raw: Array<{ key: string; value: string; spillFile?: string }> = [];
  const dir = dirname(manifestPath);
  for (const [key, value] of Object.entries(manifest as Record<string, unknown>)) {
    if (typeof value === 'string') {
      raw.push({ key, value });
      continue;
    }
    if (value !== null) {
      findings.push({ code: 'ASYNCSTORAGE_NON_TEXT', severity: 'warn', message: 'manifest value is neither a string nor null; skipped', store, ref: key });
      continue;
    }
    // RCTAsyncLocalStorage: values over 1024 bytes live in a file named md5(key) beside the manifest.
    const spill = createHash('md5').update(key, 'utf8').digest('hex');
    const spillPath = join(dir, spill);
    const st = statSync(spillPath, { throwIfNoEntry: false });
    if (!st?.isFile()) {
      findings.push({ code: 'ASYNCSTORAGE_SPILL_MISSING', severity: 'error', message: `value lives in side file ${spill} (md5 of the key), which is missing: the value is lost`, store, ref: key });
      continue;
    }
    raw.push({ key, value: readFileSync(spillPath, 'utf8'), spillFile: spill });
  }
  return decodeEntries('ios', store, raw, findings);
}

function decodeEntries(
  platform: AsyncStoragePlatform,
  store: string,
  raw: Array<{ key: string; value: string; spillFile?: string }>,
  findings: Finding[],
): AsyncStorageStore {
  const entries: AsyncStorageEntry[] = [];
  const json = new JsonValueCollector();
  for (const r of raw) {
    const entry: AsyncStorageEntry = { key: r.key, value: r.value, sizeBytes: Buffer.byteLength(r.value, 'utf8') };
    if (r.spillFile !== undefined) entry.spillFile = r.spillFile;
    const envelope = json.add(r.key, r.value);
    if (envelope !== undefined) entry.json = envelope;
    entries.push(entry);
  }
  for (const p of json.problems) findings.push({ code: p.code, severity: p.severity, message: p.message, store, ref: p.ref });
  return { platform, store, entries, collections: json.collections, jsonStores: json.jsonStores, findings };
}

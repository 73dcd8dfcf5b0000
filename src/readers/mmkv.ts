/**
 * The MMKV decoder: data file + `.crc` meta in, a typed instance out (meta, integrity, live entries,
 * removed keys, per-item history, JSON/Zustand collections, findings). Pure: bytes in, data out;
 * only `readMmkvFiles` touches the disk, to read the two files. Damage is data (findings that say
 * what the real MMKV would do on load and what syncdoc recovered); only unusable input throws an
 * InputError: a file too short to be MMKV, a wrong or missing key (the CRC matches but the bytes do
 * not parse), so a wrong key never yields garbage entries.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { crc32 } from 'node:zlib';
import { InputError } from '../errors.js';
import type { Finding, Severity } from '../findings.js';
import { decodeText, type TextEncoding } from './mmkv-bytes.js';
import { aesCandidates, decryptMmkvRegion, effectiveMmkvKey, mmkvIv, type AesBits } from './mmkv-crypto.js';
import { hasKeyExpiration, META_STRUCT_BYTES, parseMmkvMeta, type MmkvMeta } from './mmkv-meta.js';
import { itemAt, parseItems, type ParsedItems } from './mmkv-items.js';
import { indexKeys } from './mmkv-keys.js';
import { describeKey, MmkvEntryTable, type DisplayKey } from './mmkv-entries.js';
import type { JsonArraySource } from '../output/json-stream.js';
import { JsonValueCollector, JsonStateScan, type DecodedCollection, type JsonEnvelope, type JsonStore } from './values-collections.js';
import {
  decodeMmkvValueAs,
  inferMmkvValue,
  inferMmkvValueAt,
  mmkvValueShape,
  SHAPE_OTHER,
  SHAPE_STRING,
  type MmkvValue,
  type MmkvValueType,
  type TypedValue,
} from './values.js';

export interface MmkvDecodeOptions {
  /** The encryption key as the app passed it (UTF-8 string or raw bytes). */
  key?: string | Uint8Array;
  /** Force AES-128 or AES-256; by default both are tried, the likelier first. */
  aesBits?: AesBits;
  /** Per-key type overrides (`--as KEY=TYPE`). */
  as?: Readonly<Record<string, MmkvValueType>>;
  /** Collect every physical item (`--history`). */
  history?: boolean;
  /** Instance name (the data file's name) and paths, for messages and findings. */
  name?: string;
  store?: string;
  /** "Now" for expiry findings, in ms; no expiry findings without it. */
  nowMs?: number;
}

/** The meta fields as reported (`syncdoc mmkv --json` → `meta`). */
export interface MmkvMetaReport {
  crcFile: boolean;
  crcDigest: number;
  crcComputed: number;
  version: number;
  sequence: number;
  ivHex: string;
  actualSize: number;
  lastConfirmedActualSize: number;
  lastConfirmedCrcDigest: number;
  flags: bigint;
  dataFileSize: number;
  dataFileHeader: number;
  /** Which size was used: the meta's (version >= 3), the data-file header's, or the file end. */
  sizeSource: 'meta' | 'header' | 'file-end';
  encrypted: boolean;
  aesBits: AesBits | null;
  keyExpiration: boolean;
  /** The placeholder varint after the header (hex), null when the region is empty or unreadable. */
  placeholderHex: string | null;
  /** Which MMKV writers leave this header/placeholder combination (mmkv-format.md §4, §12). */
  writerHint: string | null;
}

/** What the real MMKV (v2.4) does when it opens these files. */
export type MmkvLoadOutcome =
  | { action: 'load'; keys: number }
  | { action: 'roll-back'; to: 'header' | 'last-confirmed'; sizeBytes: number; keys: number }
  | { action: 'discard'; keys: 0 };

export interface MmkvIntegrity {
  /** null when there is no `.crc` to compare with. */
  crcOk: boolean | null;
  sizeWithinFile: boolean;
  /** Bytes of the data region that were read (after the 4-byte header). */
  regionBytes: number;
  /** Bytes of the region covered by complete items. */
  parsedBytes: number;
  /** File offset where parsing stopped early (torn or bad item), if it did. */
  stoppedAt: number | null;
  /** Bytes of the region covered by a CRC that matched (full, header or last-confirmed prefix). */
  verifiedBytes: number;
  onLoad: MmkvLoadOutcome;
  status: 'verified' | 'recovered' | 'unverified';
}

export interface MmkvEntry {
  key: string;
  /** Present when the key bytes are not plain UTF-8. */
  keyHex?: string;
  keyEncoding?: TextEncoding | 'bytes';
  type: MmkvValueType;
  value: MmkvValue;
  /** The value payload as stored after its length varint, expiry stamp included. */
  rawHex: string;
  /** Unix seconds (0 = never) in key-expiration mode, else null. */
  expireAt: number | null;
  sizeBytes: number;
  /** File offset of the live item. */
  offset: number;
  /** The item lies inside a CRC-verified prefix. */
  verified: boolean;
  encoding?: TextEncoding;
  alternatives?: MmkvValueType[];
  /** The type came from `--as`. */
  override?: true;
  /** The string value is JSON of this shape (collections are in `collections`). */
  json?: JsonEnvelope;
}

export interface MmkvHistoryItem {
  offset: number;
  key: string;
  keyHex?: string;
  deleted: boolean;
  /** null for a deletion marker. */
  rawHex: string | null;
  type?: MmkvValueType;
  value?: MmkvValue;
  expireAt: number | null;
  live: boolean;
}

/** A JSON value of a live key, decoded (Zustand state, redux-persist slices or plain JSON). */
export type MmkvJsonStore = JsonStore;

export interface MmkvInstance {
  name: string;
  store?: string;
  meta: MmkvMetaReport;
  integrity: MmkvIntegrity;
  entries: MmkvEntry[];
  removedKeys: string[];
  /** Every physical item in file order (only with `history`). */
  history?: MmkvHistoryItem[];
  collections: DecodedCollection[];
  jsonStores: MmkvJsonStore[];
  findings: Finding[];
  verdict: 'ok' | 'damaged';
}

const HEADER_BYTES = 4;
/** Where an instance keeps its entry table (not enumerable: not part of the data). */
const ENTRY_TABLE = Symbol('syncdoc.mmkvEntryTable');

/**
 * The instance's entries as a JSON array source (written from the file's bytes), for an object
 * whose `entries` are still the decoder's (not yet made or replaced); undefined otherwise.
 */
export function mmkvEntriesJson(instance: object): JsonArraySource | undefined {
  const table = (instance as { [ENTRY_TABLE]?: MmkvEntryTable })[ENTRY_TABLE];
  const d = Object.getOwnPropertyDescriptor(instance, 'entries');
  return table !== undefined && d?.get !== undefined ? table : undefined;
}

/** Gives `to` the entries of `from`, made only when read, and its JSON source. */
export function shareMmkvEntries(from: MmkvInstance, to: { entries: MmkvEntry[] }): void {
  const table = (from as { [ENTRY_TABLE]?: MmkvEntryTable })[ENTRY_TABLE];
  if (mmkvEntriesJson(from) === undefined || table === undefined) {
    to.entries = from.entries;
    return;
  }
  Object.defineProperty(to, 'entries', {
    get(this: { entries: MmkvEntry[] }): MmkvEntry[] {
      const entries = from.entries;
      Object.defineProperty(this, 'entries', { value: entries, writable: true, enumerable: true, configurable: true });
      return entries;
    },
    set(this: { entries: MmkvEntry[] }, entries: MmkvEntry[]) {
      Object.defineProperty(this, 'entries', { value: entries, writable: true, enumerable: true, configurable: true });
    },
    enumerable: true,
    configurable: true,
  });
  Object.defineProperty(to, ENTRY_TABLE, { value: table });
}

/** Reads `<path>` (unless its bytes are given) and `<path>.crc` from disk and decodes them. */
export function readMmkvFiles(dataPath: string, opts: MmkvDecodeOptions = {}, bytes?: Buffer): MmkvInstance {
  let data: Buffer;
  try {
    data = bytes ?? readFileSync(dataPath);
  } catch (err) {
    throw new InputError('cannot read the MMKV data file', { code: 'E_INPUT_MISSING', subject: dataPath, hint: 'pass the data file (named by the MMKV id, no extension) or its folder', cause: err });
  }
  let crc: Buffer | undefined;
  try {
    crc = readFileSync(dataPath + '.crc');
  } catch {
    crc = undefined; // reported as a finding by the decoder
  }
  return readMmkvInstance(data, crc, { name: basename(dataPath), store: dataPath, ...opts });
}

/** Decodes one instance from its data-file bytes and (optional) `.crc` bytes. */
export function readMmkvInstance(data: Uint8Array, crcFile: Uint8Array | undefined, opts: MmkvDecodeOptions = {}): MmkvInstance {
  const name = opts.name ?? 'mmkv';
  const subject = opts.store ?? name;
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < HEADER_BYTES) {
    throw new InputError(`not an MMKV data file (${buf.length} bytes, shorter than the 4-byte header)`, {
      code: 'E_MMKV_TOO_SHORT',
      subject,
      hint: 'pass the data file of an MMKV instance (beside its .crc)',
    });
  }
  const findings: Finding[] = [];
  const add = (code: string, severity: Severity, message: string, ref?: string): void => {
    const f: Finding = { code, severity, message, store: subject };
    if (ref !== undefined) f.ref = ref;
    findings.push(f);
  };

  const meta = crcFile === undefined ? undefined : parseMmkvMeta(crcFile);
  const header = buf.readUInt32LE(0);
  const fileLen = buf.length;
  const maxRegion = fileLen - HEADER_BYTES;
  const fits = (size: number): boolean => size <= maxRegion;
  const crcOf = (size: number): number => crc32(buf.subarray(HEADER_BYTES, HEADER_BYTES + size));

  if (meta === undefined) {
    add('MMKV_CRC_MISSING', 'warn', `no ${name}.crc beside the data file: nothing to verify against; the real MMKV would find no CRC and, by default, discard the store on load`);
  } else {
    if (meta.storedBytes < META_STRUCT_BYTES) {
      add('MMKV_META_SHORT', 'info', `${name}.crc has ${meta.storedBytes} bytes (< ${META_STRUCT_BYTES}): an old (MMKV 1.0.x) or cut meta file; missing fields read as zero`);
    }
    if (meta.version >= 7) add('MMKV_META_VERSION_INVALID', 'error', `meta version ${meta.version} is not one MMKV writes (0-4; >= 7 is garbage to MMKV)`);
    else if (meta.version >= 5) add('MMKV_META_VERSION_RESERVED', 'warn', `meta version ${meta.version} is reserved; decoded as version 4`);
  }

  // Which size to trust (mmkv-format.md section 4).
  let sizeSource: MmkvMetaReport['sizeSource'];
  let size: number;
  // A meta version >= 7 is garbage to MMKV: its sizes are not trusted either.
  const metaSizes = meta !== undefined && meta.version >= 3 && meta.version < 7;
  if (metaSizes) {
    sizeSource = 'meta';
    size = (meta as MmkvMeta).actualSize;
  } else if (meta === undefined && (header === 0 || !fits(header))) {
    // No meta and no usable header (v2.4+ writers leave it 0): read up to the file end.
    sizeSource = 'file-end';
    size = maxRegion;
  } else {
    sizeSource = 'header';
    size = header;
  }
  const sizeWithinFile = fits(size);
  const regionEnd = HEADER_BYTES + (sizeWithinFile ? size : maxRegion);
  const crcComputed = crc32(buf.subarray(HEADER_BYTES, regionEnd));
  const crcOk = meta === undefined ? null : sizeWithinFile && crcComputed === meta.crcDigest;

  if (!sizeWithinFile) {
    add('MMKV_SIZE_BEYOND_FILE', 'error', `the ${sizeSource === 'meta' ? 'meta actual_size' : 'data-file header'} says ${size} bytes of data but the file holds only ${maxRegion} after its header (file cut short?)`);
  } else if (crcOk === false && meta !== undefined) {
    add('MMKV_CRC_MISMATCH', 'error', `CRC-32 of the ${size}-byte data region is ${hex32(crcComputed)}, the .crc says ${hex32(meta.crcDigest)}: the data or the meta was damaged or written incompletely`);
  }
  if (metaSizes && meta !== undefined && header !== 0 && header !== meta.actualSize) {
    add('MMKV_HEADER_MISMATCH', 'info', `data-file header says ${header} bytes, the meta ${meta.actualSize}; the meta is authoritative (version ${meta.version})`);
  }

  // What MMKV itself would do on load (section 9): full load, roll back, or discard.
  const expiring = hasKeyExpiration(meta);
  let fallback: { to: 'header' | 'last-confirmed'; size: number } | undefined;
  if (crcOk !== true && meta !== undefined) {
    if (header !== size && fits(header) && crcOf(header) === meta.crcDigest) fallback = { to: 'header', size: header };
    else if (metaSizes && fits(meta.lastConfirmedActualSize) && crcOf(meta.lastConfirmedActualSize) === meta.lastConfirmedCrcDigest) {
      fallback = { to: 'last-confirmed', size: meta.lastConfirmedActualSize };
    }
  }
  const verifiedSize = crcOk === true ? size : (fallback?.size ?? 0);

  // Decrypt (trying the AES sizes) and parse.
  const keyBytes = opts.key === undefined ? undefined : typeof opts.key === 'string' ? Buffer.from(opts.key, 'utf8') : Buffer.from(opts.key);
  const { plain, parsed, aesBits, keyUnused, keyUnverified } = decryptAndParse(buf, regionEnd, meta, keyBytes, opts.aesBits, expiring, crcOk === true, subject, fallback?.size);
  if (keyUnverified === true && parsed.count > 0) {
    add('MMKV_KEY_UNVERIFIED', 'warn', 'the key decrypts this instance to a single item: a wrong key can do that by chance (MMKV stores no key check), so check that the value makes sense');
  }
  if (keyUnused === true) add('MMKV_NOT_ENCRYPTED', 'info', 'a key was given but this instance is not encrypted: it parses as plain data (CRC ok), so it was read without the key');

  const placeholderEnd = parsed.count > 0 ? (parsed.at[0] as number) : (parsed.stop === undefined ? parsed.parsedEnd : HEADER_BYTES);
  const placeholderHex = placeholderEnd > HEADER_BYTES ? plain.toString('hex', HEADER_BYTES, Math.min(placeholderEnd, HEADER_BYTES + 10)) : null;
  const stoppedAt = parsed.stop === undefined ? null : parsed.stop.at;
  const parsedBytes = parsed.parsedEnd - HEADER_BYTES;
  if (parsed.stop !== undefined) {
    const lost = regionEnd - parsed.stop.at;
    const code = parsed.stop.reason === 'torn' ? 'MMKV_TORN_TAIL' : 'MMKV_BAD_ITEM';
    add(code, 'error', `item at offset ${parsed.stop.at}: ${parsed.stop.detail}; the last ${lost} bytes of the region are unreadable`, `offset ${parsed.stop.at}`);
  }

  // Append-log semantics: later items win, an empty value deletes (keys compared as bytes).
  const keyIndex = indexKeys(plain, parsed);
  const liveCount = keyIndex.liveCount;
  const removedKeys = keyIndex.removed.map((i) => describeKey(plain.subarray(parsed.keyStart[i] as number, parsed.keyEnd[i] as number)).key);
  // The live items' offsets: the parsed columns compacted in place (live item j is item j or a
  // later one), since only --history reads every item afterwards. Fresh megabytes cost page
  // faults on a 200k-key store.
  const inPlace = opts.history !== true;
  const column = (c: Uint32Array): Uint32Array => (inPlace ? c : new Uint32Array(liveCount));
  const cols = {
    at: column(parsed.at),
    keyStart: column(parsed.keyStart),
    keyEnd: column(parsed.keyEnd),
    valueStart: column(parsed.valueStart),
    valueEnd: column(parsed.valueEnd),
    shape: new Uint8Array(liveCount),
  };
  const itemCount = parsed.count;
  const overrideResults = new Map<number, TypedValue | undefined>();
  const envelopes = new Map<number, JsonEnvelope>();
  const table = new MmkvEntryTable({
    buf: plain,
    ...cols,
    count: liveCount,
    expiring,
    verifiedEnd: HEADER_BYTES + verifiedSize,
    overrides: overrideResults,
    envelopes,
  });
  const json = new JsonValueCollector();
  // A Map, not the options object: a property lookup by a sliced (non-internalised) key string
  // costs a string-table probe per key.
  const overrides = new Map(Object.entries(opts.as ?? {}));
  const nowSec = opts.nowMs === undefined ? undefined : Math.floor(opts.nowMs / 1000);
  const expired: string[] = [];
  let unverified = 0;
  const jsonScan = new JsonStateScan(plain);
  // Live items in file order. Only what findings and collections need is decoded here; the
  // entries themselves are made (or written as JSON) from the columns on demand.
  for (let i = 0, j = 0; i < itemCount; i++) {
    if (keyIndex.isLive[i] === 0) continue;
    const vs = parsed.valueStart[i] as number;
    const ve = parsed.valueEnd[i] as number;
    cols.at[j] = parsed.at[i] as number;
    cols.keyStart[j] = parsed.keyStart[i] as number;
    cols.keyEnd[j] = parsed.keyEnd[i] as number;
    cols.valueStart[j] = vs;
    cols.valueEnd[j] = ve;
    const payloadEnd = expiring && ve - vs >= 5 ? ve - 4 : ve;
    // A string body's UTF-8 check also tells whether it may hold a JSON state (jsonScan.lastMayHoldState).
    const shape = mmkvValueShape(plain, vs, payloadEnd, jsonScan);
    cols.shape[j] = shape;
    if (ve > HEADER_BYTES + verifiedSize) unverified++;
    let key: string | undefined;
    if (overrides.size > 0) {
      key = table.displayKey(j).key;
      const wanted = overrides.get(key);
      if (wanted !== undefined) {
        const forced = decodeMmkvValueAs(plain.subarray(vs, payloadEnd), wanted);
        overrideResults.set(j, forced);
        if (forced === undefined) {
          const inferred = inferMmkvValueAt(plain, vs, payloadEnd);
          add('MMKV_AS_MISMATCH', 'warn', `--as ${key}=${wanted} does not fit the ${payloadEnd - vs}-byte payload; shown as the inferred ${inferred.type}`, key);
        }
      }
    }
    // String values that may be JSON holding a state go to the collector, in entry order.
    const forced = overrideResults.get(j);
    if (forced !== undefined || shape !== SHAPE_STRING || jsonScan.lastMayHoldState) {
      const typed = forced ?? (shape === SHAPE_STRING || shape === SHAPE_OTHER ? inferMmkvValueAt(plain, vs, payloadEnd) : undefined);
      if (typed !== undefined && typed.type === 'string' && typeof typed.value === 'string') {
        const envelope = json.add((key ??= table.displayKey(j).key), typed.value);
        if (envelope !== undefined) envelopes.set(j, envelope);
      }
    }
    if (expiring && nowSec !== undefined && ve - vs >= 5) {
      const expireAt = plain.readUInt32LE(ve - 4);
      if (expireAt !== 0 && expireAt <= nowSec) expired.push(key ?? table.displayKey(j).key);
    }
    j++;
  }
  for (const p of json.problems) add(p.code, p.severity, p.message, p.ref);
  if (expired.length > 0) {
    add('MMKV_KEY_EXPIRED', 'info', `${expired.length} key(s) past their expiry stamp, still in the file (MMKV drops them when read or at the next write-back): ${expired.join(', ')}`);
  }

  // The load outcome, counted with the same parser over the prefix MMKV would keep.
  let onLoad: MmkvLoadOutcome;
  if (crcOk === true) onLoad = { action: 'load', keys: liveCount };
  else if (fallback !== undefined) {
    const keys = countLiveKeys(parseItems(plain, HEADER_BYTES, HEADER_BYTES + fallback.size, expiring), plain);
    onLoad = { action: 'roll-back', to: fallback.to, sizeBytes: fallback.size, keys };
  } else onLoad = { action: 'discard', keys: 0 };

  const damaged = crcOk === false || !sizeWithinFile || parsed.stop !== undefined;
  if (damaged) {
    if (onLoad.action === 'roll-back') {
      add('MMKV_WOULD_ROLL_BACK', 'warn', `on load the real MMKV would silently roll back to the ${onLoad.to === 'header' ? 'data-file header size' : 'last full write-back'} (${onLoad.sizeBytes} bytes): ${onLoad.keys} key(s) would survive; every later append is lost`);
    } else {
      add('MMKV_WOULD_DISCARD', 'warn', `on load the real MMKV finds no size/CRC pair that matches: its default error handler discards the store (0 keys survive)`);
    }
  }
  if (damaged || crcOk === null) {
    add('MMKV_RECOVERED', 'info', `syncdoc read ${parsed.count} complete item(s) → ${liveCount} live key(s) (${unverified} outside any CRC-verified prefix)${stoppedAt === null ? '' : `; unreadable tail from offset ${stoppedAt}`}`);
  }

  // Stale bytes after the region: normal after clearAll()/override, worth knowing in forensics.
  const staleNonZero = countNonZero(buf, regionEnd, fileLen);
  if (sizeWithinFile && staleNonZero > 0) {
    add('MMKV_STALE_BYTES', 'info', `${staleNonZero} non-zero byte(s) after the data region (offset ${regionEnd}): leftovers of older content (clearAll, override or write-back), ignored as MMKV does`);
  }

  let history: MmkvHistoryItem[] | undefined;
  if (opts.history === true) {
    history = [];
    const keyCache = new Map<string, DisplayKey>();
    for (let i = 0; i < parsed.count; i++) {
      const it = itemAt(parsed, i);
      const raw = plain.toString('latin1', it.keyStart, it.keyEnd);
      let dk = keyCache.get(raw);
      if (dk === undefined) {
        dk = describeKey(plain.subarray(it.keyStart, it.keyEnd));
        keyCache.set(raw, dk);
      }
      if (it.valueEnd === it.valueStart) {
        const h: MmkvHistoryItem = { offset: it.at, key: dk.key, deleted: true, rawHex: null, expireAt: null, live: false };
        if (dk.keyHex !== undefined) h.keyHex = dk.keyHex;
        history.push(h);
        continue;
      }
      const stored = plain.subarray(it.valueStart, it.valueEnd);
      const { payload, expireAt } = splitExpiry(stored, expiring);
      const wanted = overrides.get(dk.key);
      const typed = (wanted === undefined ? undefined : decodeMmkvValueAs(payload, wanted)) ?? inferMmkvValue(payload);
      const h: MmkvHistoryItem = { offset: it.at, key: dk.key, deleted: false, rawHex: stored.toString('hex'), type: typed.type, value: typed.value, expireAt, live: keyIndex.isLive[i] === 1 };
      if (dk.keyHex !== undefined) h.keyHex = dk.keyHex;
      history.push(h);
    }
  }

  const metaReport: MmkvMetaReport = {
    crcFile: meta !== undefined,
    crcDigest: meta?.crcDigest ?? 0,
    crcComputed,
    version: meta?.version ?? 0,
    sequence: meta?.sequence ?? 0,
    ivHex: meta?.ivHex ?? '00000000000000000000000000000000',
    actualSize: meta?.actualSize ?? 0,
    lastConfirmedActualSize: meta?.lastConfirmedActualSize ?? 0,
    lastConfirmedCrcDigest: meta?.lastConfirmedCrcDigest ?? 0,
    flags: meta?.flags ?? 0n,
    dataFileSize: fileLen,
    dataFileHeader: header,
    sizeSource,
    encrypted: aesBits !== null,
    aesBits,
    keyExpiration: expiring,
    placeholderHex,
    writerHint: writerHint(header, size, sizeSource, placeholderHex),
  };
  const integrity: MmkvIntegrity = {
    crcOk,
    sizeWithinFile,
    regionBytes: regionEnd - HEADER_BYTES,
    parsedBytes,
    stoppedAt,
    verifiedBytes: verifiedSize,
    onLoad,
    status: crcOk === true ? 'verified' : crcOk === null && !damaged ? 'unverified' : 'recovered',
  };
  const instance: MmkvInstance = {
    name,
    meta: metaReport,
    integrity,
    // Made on first use: `syncdoc mmkv --json` writes them from the table without making them.
    get entries(): MmkvEntry[] {
      const entries = table.entries();
      Object.defineProperty(this, 'entries', { value: entries, writable: true, enumerable: true, configurable: true });
      return entries;
    },
    set entries(entries: MmkvEntry[]) {
      Object.defineProperty(this, 'entries', { value: entries, writable: true, enumerable: true, configurable: true });
    },
    removedKeys,
    collections: json.collections,
    jsonStores: json.jsonStores,
    findings,
    verdict: findings.some((f) => f.severity === 'error') ? 'damaged' : 'ok',
  };
  if (opts.store !== undefined) instance.store = opts.store;
  if (history !== undefined) instance.history = history;
  Object.defineProperty(instance, ENTRY_TABLE, { value: table });
  return instance;
}

function splitExpiry(stored: Buffer, expiring: boolean): { payload: Buffer; expireAt: number | null } {
  if (!expiring || stored.length < 5) return { payload: stored, expireAt: null };
  return { payload: stored.subarray(0, stored.length - 4), expireAt: stored.readUInt32LE(stored.length - 4) };
}

function countLiveKeys(parsed: ParsedItems, plain: Buffer): number {
  return indexKeys(plain, parsed).liveCount;
}

/** The writer generation the header and placeholder point to; null when nothing tells. */
function writerHint(header: number, size: number, sizeSource: MmkvMetaReport['sizeSource'], placeholderHex: string | null): string | null {
  const hints: string[] = [];
  if (sizeSource === 'meta' && size > 0) hints.push(header === size ? 'header kept equal to the size: MMKV <= v2.3' : header === 0 ? 'header frozen at 0: MMKV >= v2.4' : 'header stale');
  if (placeholderHex === 'ffffff07') hints.push('fixed placeholder ff ff ff 07: MMKV <= v1.3.7');
  else if (placeholderHex !== null && placeholderHex.length === 8) hints.push('random 4-byte placeholder: MMKV >= v1.3.8 (v2.x)');
  return hints.length === 0 ? null : hints.join('; ');
}

function countNonZero(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (buf[i] !== 0) n++;
  return n;
}

function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

/** True when every item key is text (and, if `printable`, has no control characters): garbage from a wrong key almost never is. */
function keysAreText(parsed: ParsedItems, plain: Buffer, printable = false): boolean {
  for (let i = 0; i < parsed.count; i++) {
    const text = decodeText(plain.subarray(parsed.keyStart[i] as number, parsed.keyEnd[i] as number));
    if (text === undefined || (printable && CONTROL_CHARS.test(text.text))) return false;
  }
  return true;
}

const CONTROL_CHARS = /[\x00-\x1f\x7f]/;

/**
 * Decrypts (when a key is given, trying each AES size) and parses. With a matching CRC the parse
 * must reach the region end exactly; otherwise the key (or its size) is wrong, or the instance is
 * encrypted and no key was given: an InputError, never garbage entries.
 */
function decryptAndParse(
  buf: Buffer,
  regionEnd: number,
  meta: MmkvMeta | undefined,
  key: Buffer | undefined,
  forcedBits: AesBits | undefined,
  expiring: boolean,
  crcOk: boolean,
  subject: string,
  verifiedPrefix: number | undefined,
): { plain: Buffer; parsed: ParsedItems; aesBits: AesBits | null; keyUnused?: true; keyUnverified?: true } {
  const complete = (p: ParsedItems): boolean => p.stop === undefined && p.parsedEnd === regionEnd;
  if (key === undefined) {
    const parsed = parseItems(buf, HEADER_BYTES, regionEnd, expiring);
    const firstKey = parsed.count === 0 ? undefined : decodeText(buf.subarray(parsed.keyStart[0] as number, parsed.keyEnd[0] as number));
    const firstKeyIsText = parsed.count === 0 || (firstKey !== undefined && !CONTROL_CHARS.test(firstKey.text));
    if ((crcOk && !complete(parsed)) || !firstKeyIsText) {
      if (meta === undefined) {
        // No .crc and no readable item: nothing says this file is MMKV at all.
        const sqlite = buf.subarray(0, 16).toString('latin1') === 'SQLite format 3\0';
        throw new InputError('not an MMKV data file: no .crc beside it and its bytes do not parse as MMKV items', {
          code: 'E_MMKV_NOT_MMKV',
          subject,
          hint: sqlite
            ? 'this is a SQLite database: use `syncdoc inspect` or `syncdoc query`'
            : 'pass the data file of an MMKV instance (named by its id, with <name>.crc beside it); an encrypted one also needs --key-env/--key-file',
        });
      }
      throw new InputError(
        crcOk ? 'the MMKV data matches its CRC but does not parse as items: it is probably encrypted' : 'the MMKV data does not start with a readable item: it is probably encrypted (or badly damaged)',
        { code: 'E_MMKV_ENCRYPTED', subject, hint: 'pass the encryption key with --key-env VAR or --key-file FILE (never on the command line)' },
      );
    }
    return { plain: buf, parsed, aesBits: null };
  }
  const region = buf.subarray(HEADER_BYTES, regionEnd);
  let best: { plain: Buffer; parsed: ParsedItems; aesBits: AesBits } | undefined;
  for (const bits of aesCandidates(key, forcedBits)) {
    const k = effectiveMmkvKey(key, bits);
    const iv = mmkvIv(meta?.iv, meta?.version ?? 0, k);
    const plain = Buffer.alloc(buf.length);
    buf.copy(plain, 0, 0, HEADER_BYTES);
    decryptMmkvRegion(region, k, bits, iv).copy(plain, HEADER_BYTES);
    const parsed = parseItems(plain, HEADER_BYTES, regionEnd, expiring);
    const candidate = { plain, parsed, aesBits: bits };
    if (crcOk) {
      // MMKV stores no key check value: what vouches for a key is that the decrypted region parses
      // to its end. One item can do that by chance (estimated at about 1 in 10^5 wrong keys on a
      // one-item store), so a lone item must have a printable key and is reported as unverified.
      if (complete(parsed) && keysAreText(parsed, plain, parsed.count < 2)) return parsed.count < 2 ? { ...candidate, keyUnverified: true } : candidate;
      continue;
    }
    // Damaged region: the CRC cannot vouch for the key. A CRC-verified prefix can, else text keys.
    if (verifiedPrefix !== undefined && verifiedPrefix > 0) {
      const prefix = parseItems(plain, HEADER_BYTES, HEADER_BYTES + verifiedPrefix, expiring);
      if (!(prefix.stop === undefined && prefix.parsedEnd === HEADER_BYTES + verifiedPrefix)) continue;
    }
    // Garbage from a wrong key can parse as one short item by chance; two items of printable keys,
    // or half the region, cannot (in practice).
    const enough = parsed.count >= 2 || parsed.parsedEnd - HEADER_BYTES >= (regionEnd - HEADER_BYTES) / 2;
    if (parsed.count === 0 || !enough || !keysAreText(parsed, plain, true)) continue;
    if (best === undefined || parsed.parsedEnd > best.parsed.parsedEnd) best = candidate;
  }
  if (best !== undefined) return best.parsed.count < 2 ? { ...best, keyUnverified: true } : best;
  // A key given for a folder applies to every instance; a plain one still reads as plain.
  if (crcOk) {
    const parsed = parseItems(buf, HEADER_BYTES, regionEnd, expiring);
    if (complete(parsed) && keysAreText(parsed, buf)) return { plain: buf, parsed, aesBits: null, keyUnused: true };
  }
  // An empty region decrypts to nothing: whether it is encrypted cannot be told.
  if (regionEnd === HEADER_BYTES) return { plain: buf, parsed: parseItems(buf, HEADER_BYTES, regionEnd, expiring), aesBits: null };
  throw new InputError('wrong encryption key (or wrong AES size): the decrypted MMKV data does not parse', {
    code: 'E_MMKV_WRONG_KEY',
    subject,
    hint: 'check the key given with --key-env/--key-file (MMKV uses its first 16 bytes for AES-128, 32 for AES-256); no entries were shown',
  });
}

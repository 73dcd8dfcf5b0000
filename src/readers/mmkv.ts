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
import { decodeText, escapeBytes, type TextEncoding } from './mmkv-bytes.js';
import { aesCandidates, decryptMmkvRegion, effectiveMmkvKey, mmkvIv, type AesBits } from './mmkv-crypto.js';
import { hasKeyExpiration, META_STRUCT_BYTES, parseMmkvMeta, type MmkvMeta } from './mmkv-meta.js';
import { parseItems, type ParsedItems, type RawItem } from './mmkv-items.js';
import { JsonValueCollector, type DecodedCollection, type JsonEnvelope, type JsonStore } from './values-collections.js';
import { decodeMmkvValueAs, inferMmkvValue, inferMmkvValueAt, type MmkvValue, type MmkvValueType, type TypedValue } from './values.js';

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
/** Largest region hex-encoded as one string (2 chars per byte, under V8's string length limit). */
const MAX_WHOLE_HEX_BYTES = 128 * 1024 * 1024;

/** Reads `<path>` and `<path>.crc` from disk and decodes them. */
export function readMmkvFiles(dataPath: string, opts: MmkvDecodeOptions = {}): MmkvInstance {
  let data: Buffer;
  try {
    data = readFileSync(dataPath);
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
  const { plain, parsed, aesBits, keyUnused } = decryptAndParse(buf, regionEnd, meta, keyBytes, opts.aesBits, expiring, crcOk === true, subject, fallback?.size);
  if (keyUnused === true) add('MMKV_NOT_ENCRYPTED', 'info', 'a key was given but this instance is not encrypted: it parses as plain data (CRC ok), so it was read without the key');

  const placeholderEnd = parsed.items[0]?.at ?? (parsed.stop === undefined ? parsed.parsedEnd : HEADER_BYTES);
  const placeholderHex = placeholderEnd > HEADER_BYTES ? plain.toString('hex', HEADER_BYTES, Math.min(placeholderEnd, HEADER_BYTES + 10)) : null;
  const stoppedAt = parsed.stop === undefined ? null : parsed.stop.at;
  const parsedBytes = parsed.parsedEnd - HEADER_BYTES;
  if (parsed.stop !== undefined) {
    const lost = regionEnd - parsed.stop.at;
    const code = parsed.stop.reason === 'torn' ? 'MMKV_TORN_TAIL' : 'MMKV_BAD_ITEM';
    add(code, 'error', `item at offset ${parsed.stop.at}: ${parsed.stop.detail}; the last ${lost} bytes of the region are unreadable`, `offset ${parsed.stop.at}`);
  }

  // Append-log semantics: later items win, an empty value deletes.
  const live = new Map<string, number>();
  const deleted = new Set<string>();
  // Filled by push: `new Array(n)` of a large n is a slow dictionary-mode array in V8.
  const rawKeys: string[] = [];
  // latin1 is a 1:1 byte→char map: keys compare as raw bytes, like MMKV compares them. One string
  // for the whole region, sliced per key and value (V8 slices share it), costs one native call
  // instead of one per item: most of the decode time of a large store.
  const latin = plain.toString('latin1', 0, parsed.parsedEnd);
  for (let i = 0; i < parsed.items.length; i++) {
    const it = parsed.items[i] as RawItem;
    const k = latin.slice(it.keyStart, it.keyEnd);
    rawKeys.push(k);
    if (it.valueEnd === it.valueStart) {
      live.delete(k);
      deleted.add(k);
    } else live.set(k, i);
  }
  // Live items in file order: marked, then scanned (no 200k-element comparator sort).
  const isLive = new Uint8Array(parsed.items.length);
  for (const i of live.values()) isLive[i] = 1;
  const keyCache = new Map<string, DisplayKey>();
  const displayKey = (i: number): DisplayKey => {
    const k = rawKeys[i] as string;
    // ASCII keys (nearly all) read the same as their latin1 form: no decoding, no cache.
    const it = parsed.items[i] as RawItem;
    if (isAscii(plain, it.keyStart, it.keyEnd)) return { key: k, encoding: 'utf-8' };
    let d = keyCache.get(k);
    if (d === undefined) {
      d = describeKey(plain.subarray(it.keyStart, it.keyEnd));
      keyCache.set(k, d);
    }
    return d;
  };

  // The same trick for rawHex: one hex string of the region, sliced per value, instead of 200k
  // separate hex strings (whose copying by the young-generation GC cost more than encoding them).
  // A region too large for one V8 string (max ~2^29 chars) is encoded per value.
  const wholeHex = parsed.parsedEnd <= MAX_WHOLE_HEX_BYTES ? plain.toString('hex', 0, parsed.parsedEnd) : undefined;
  const hexOf = (start: number, end: number): string => (wholeHex === undefined ? plain.toString('hex', start, end) : wholeHex.slice(2 * start, 2 * end));

  const entries: MmkvEntry[] = [];
  const json = new JsonValueCollector();
  // A Map, not the options object: a property lookup by a sliced (non-internalised) key string
  // costs a string-table probe per key, a quarter of the decode time of a 200k-key store.
  const overrides = new Map(Object.entries(opts.as ?? {}));
  const nowSec = opts.nowMs === undefined ? undefined : Math.floor(opts.nowMs / 1000);
  const expired: string[] = [];
  for (let i = 0; i < isLive.length; i++) {
    if (isLive[i] === 0) continue;
    const it = parsed.items[i] as RawItem;
    const dk = displayKey(i);
    // Offsets, not views: this loop runs once per live key (hundreds of thousands in big stores).
    let payloadEnd = it.valueEnd;
    let expireAt: number | null = null;
    if (expiring && it.valueEnd - it.valueStart >= 5) {
      payloadEnd -= 4;
      expireAt = plain.readUInt32LE(payloadEnd);
    }
    let typed: TypedValue = inferMmkvValueAt(plain, it.valueStart, payloadEnd, latin);
    let override = false;
    const wanted = overrides.size === 0 ? undefined : overrides.get(dk.key);
    if (wanted !== undefined) {
      const forced = decodeMmkvValueAs(plain.subarray(it.valueStart, payloadEnd), wanted);
      if (forced === undefined) {
        add('MMKV_AS_MISMATCH', 'warn', `--as ${dk.key}=${wanted} does not fit the ${payloadEnd - it.valueStart}-byte payload; shown as the inferred ${typed.type}`, dk.key);
      } else {
        typed = forced;
        override = true;
      }
    }
    const entry: MmkvEntry = {
      key: dk.key,
      type: typed.type,
      value: typed.value,
      rawHex: hexOf(it.valueStart, it.valueEnd),
      expireAt,
      sizeBytes: it.valueEnd - it.valueStart,
      offset: it.at,
      verified: it.valueEnd <= HEADER_BYTES + verifiedSize,
    };
    if (dk.keyHex !== undefined) entry.keyHex = dk.keyHex;
    if (dk.encoding !== 'utf-8') entry.keyEncoding = dk.encoding;
    if (typed.encoding !== undefined) entry.encoding = typed.encoding;
    if (typed.alternatives !== undefined && !override) entry.alternatives = typed.alternatives;
    if (override) entry.override = true;
    if (typed.type === 'string' && typeof typed.value === 'string') {
      const envelope = json.add(dk.key, typed.value);
      if (envelope !== undefined) entry.json = envelope;
    }
    if (expireAt !== null && expireAt !== 0 && nowSec !== undefined && expireAt <= nowSec) expired.push(dk.key);
    entries.push(entry);
  }
  for (const p of json.problems) add(p.code, p.severity, p.message, p.ref);
  if (expired.length > 0) {
    add('MMKV_KEY_EXPIRED', 'info', `${expired.length} key(s) past their expiry stamp, still in the file (MMKV drops them when read or at the next write-back): ${expired.join(', ')}`);
  }

  const removedKeys = [...deleted].filter((k) => !live.has(k)).map((k) => describeKey(Buffer.from(k, 'latin1')).key);

  // The load outcome, counted with the same parser over the prefix MMKV would keep.
  let onLoad: MmkvLoadOutcome;
  if (crcOk === true) onLoad = { action: 'load', keys: entries.length };
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
    const unverified = entries.filter((e) => !e.verified).length;
    add('MMKV_RECOVERED', 'info', `syncdoc read ${parsed.items.length} complete item(s) → ${entries.length} live key(s) (${unverified} outside any CRC-verified prefix)${stoppedAt === null ? '' : `; unreadable tail from offset ${stoppedAt}`}`);
  }

  // Stale bytes after the region: normal after clearAll()/override, worth knowing in forensics.
  const staleNonZero = countNonZero(buf, regionEnd, fileLen);
  if (sizeWithinFile && staleNonZero > 0) {
    add('MMKV_STALE_BYTES', 'info', `${staleNonZero} non-zero byte(s) after the data region (offset ${regionEnd}): leftovers of older content (clearAll, override or write-back), ignored as MMKV does`);
  }

  let history: MmkvHistoryItem[] | undefined;
  if (opts.history === true) {
    history = parsed.items.map((it, i) => {
      const dk = displayKey(i);
      const isLive = live.get(rawKeys[i] as string) === i;
      if (it.valueEnd === it.valueStart) {
        const h: MmkvHistoryItem = { offset: it.at, key: dk.key, deleted: true, rawHex: null, expireAt: null, live: false };
        if (dk.keyHex !== undefined) h.keyHex = dk.keyHex;
        return h;
      }
      const stored = plain.subarray(it.valueStart, it.valueEnd);
      const { payload, expireAt } = splitExpiry(stored, expiring);
      const wanted = overrides.get(dk.key);
      const typed = (wanted === undefined ? undefined : decodeMmkvValueAs(payload, wanted)) ?? inferMmkvValue(payload);
      const h: MmkvHistoryItem = { offset: it.at, key: dk.key, deleted: false, rawHex: stored.toString('hex'), type: typed.type, value: typed.value, expireAt, live: isLive };
      if (dk.keyHex !== undefined) h.keyHex = dk.keyHex;
      return h;
    });
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
    entries,
    removedKeys,
    collections: json.collections,
    jsonStores: json.jsonStores,
    findings,
    verdict: findings.some((f) => f.severity === 'error') ? 'damaged' : 'ok',
  };
  if (opts.store !== undefined) instance.store = opts.store;
  if (history !== undefined) instance.history = history;
  return instance;
}

interface DisplayKey {
  key: string;
  keyHex?: string;
  encoding: TextEncoding | 'bytes';
}

function describeKey(bytes: Uint8Array): DisplayKey {
  const text = decodeText(bytes);
  const hex = Buffer.from(bytes).toString('hex');
  if (text === undefined) return { key: escapeBytes(bytes), keyHex: hex, encoding: 'bytes' };
  return text.encoding === 'utf-8' ? { key: text.text, encoding: 'utf-8' } : { key: text.text, keyHex: hex, encoding: text.encoding };
}

function splitExpiry(stored: Buffer, expiring: boolean): { payload: Buffer; expireAt: number | null } {
  if (!expiring || stored.length < 5) return { payload: stored, expireAt: null };
  return { payload: stored.subarray(0, stored.length - 4), expireAt: stored.readUInt32LE(stored.length - 4) };
}

function countLiveKeys(parsed: ParsedItems, plain: Buffer): number {
  const live = new Set<string>();
  for (const it of parsed.items) {
    const k = plain.toString('latin1', it.keyStart, it.keyEnd);
    if (it.valueEnd === it.valueStart) live.delete(k);
    else live.add(k);
  }
  return live.size;
}

/** The writer generation the header and placeholder point to; null when nothing tells. */
function writerHint(header: number, size: number, sizeSource: MmkvMetaReport['sizeSource'], placeholderHex: string | null): string | null {
  const hints: string[] = [];
  if (sizeSource === 'meta' && size > 0) hints.push(header === size ? 'header kept equal to the size: MMKV <= v2.3' : header === 0 ? 'header frozen at 0: MMKV >= v2.4' : 'header stale');
  if (placeholderHex === 'ffffff07') hints.push('fixed placeholder ff ff ff 07: MMKV <= v1.3.7');
  else if (placeholderHex !== null && placeholderHex.length === 8) hints.push('random 4-byte placeholder: MMKV >= v1.3.8 (v2.x)');
  return hints.length === 0 ? null : hints.join('; ');
}

function isAscii(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if ((buf[i] as number) >= 0x80) return false;
  return true;
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
  return parsed.items.every((it) => {
    const text = decodeText(plain.subarray(it.keyStart, it.keyEnd));
    return text !== undefined && (!printable || !CONTROL_CHARS.test(text.text));
  });
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
): { plain: Buffer; parsed: ParsedItems; aesBits: AesBits | null; keyUnused?: true } {
  const complete = (p: ParsedItems): boolean => p.stop === undefined && p.parsedEnd === regionEnd;
  if (key === undefined) {
    const parsed = parseItems(buf, HEADER_BYTES, regionEnd, expiring);
    const first = parsed.items[0];
    const firstKey = first === undefined ? undefined : decodeText(buf.subarray(first.keyStart, first.keyEnd));
    const firstKeyIsText = first === undefined || (firstKey !== undefined && !CONTROL_CHARS.test(firstKey.text));
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
      if (complete(parsed) && keysAreText(parsed, plain)) return candidate;
      continue;
    }
    // Damaged region: the CRC cannot vouch for the key. A CRC-verified prefix can, else text keys.
    if (verifiedPrefix !== undefined && verifiedPrefix > 0) {
      const prefix = parseItems(plain, HEADER_BYTES, HEADER_BYTES + verifiedPrefix, expiring);
      if (!(prefix.stop === undefined && prefix.parsedEnd === HEADER_BYTES + verifiedPrefix)) continue;
    }
    // Garbage from a wrong key can parse as one short item by chance; two items of printable keys,
    // or half the region, cannot (in practice).
    const enough = parsed.items.length >= 2 || parsed.parsedEnd - HEADER_BYTES >= (regionEnd - HEADER_BYTES) / 2;
    if (parsed.items.length === 0 || !enough || !keysAreText(parsed, plain, true)) continue;
    if (best === undefined || parsed.parsedEnd > best.parsed.parsedEnd) best = candidate;
  }
  if (best !== undefined) return best;
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

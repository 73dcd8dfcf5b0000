/**
 * JSON held in key-value stores, decoded into collections of records. Three shapes occur in React
 * Native apps: Zustand `persist` envelopes (`{"state":…,"version":N}`), redux-persist entries (an
 * object whose values are themselves JSON strings, one per slice, plus `_persist`) and plain JSON.
 * Inside the decoded state, an array of objects that all carry an id field is a collection. A
 * duplicated id keeps the later entry (what the app would see after rehydration); problems are
 * returned as data, never thrown, so one bad value never hides the others.
 */
import { isUtf8 } from 'node:buffer';
import { isPlainObject } from '../json-value.js';

export type JsonEnvelope = 'zustand' | 'redux-persist' | 'json';

export type JsonRecord = Record<string, unknown>;

export interface DecodedCollection {
  /** The store key the collection came from (an MMKV key or an AsyncStorage key). */
  key: string;
  /** Path of the array inside the decoded value, dot-separated (`state.moods`, `quotes.items`). */
  path: string;
  /** Short name for tables and reports: the key plus the path without a Zustand `state.` prefix. */
  name: string;
  envelope: JsonEnvelope;
  /** The field that identifies a record (`id`, `opId`, …). */
  idField: string;
  /** The envelope's version (Zustand `version`, redux-persist `_persist.version`) when present. */
  version?: number;
  records: JsonRecord[];
  /** Entries in the stored array before duplicate ids were collapsed. */
  storedCount: number;
}

export interface ValueProblem {
  code: 'VALUE_JSON_UNPARSEABLE' | 'COLLECTION_DUPLICATE_ID';
  severity: 'warn' | 'info';
  message: string;
  ref: string;
}

export interface DecodedJsonValue {
  envelope: JsonEnvelope;
  version?: number;
  /** Zustand: the `state`; redux-persist: the slices, each decoded once more; plain JSON: the value. */
  state: unknown;
  collections: DecodedCollection[];
  problems: ValueProblem[];
}

/** An array of objects somewhere inside (with the envelopes' keys: see worthParsing). */
const ARRAY_OF_OBJECTS = /\[\s*\{/;

/**
 * A Zustand envelope, a redux-persist root, or an array of objects somewhere inside. Literal
 * searches first: on a store of 200k JSON values they are cheaper than one regex alternation.
 */
function worthParsing(text: string): boolean {
  return text.includes('"state"') || text.includes('"_persist"') || (text.includes('[') && ARRAY_OF_OBJECTS.test(text));
}

/**
 * Two questions about the text bodies of a store's values, answered in one pass over their bytes:
 * is a body strict UTF-8 (`utf8`), and could it hold a JSON state (`mayHoldState`: false only
 * when decodeJsonString would return undefined, i.e. its first non-space character is not `{` or
 * `[`, or it holds none of `[`, `"state"`, `"_persist"`). The markers are ASCII, which UTF-8 (and
 * modified UTF-8) bytes hold only as themselves. ASCII text is read four bytes at a time and only
 * words holding a `"` or `[` are looked at closely: one JavaScript pass costs less than a native
 * UTF-8 check per value plus native searches for markers through the whole file (decode of a
 * 200k-key store: ~30 ms less CPU).
 */
export class JsonStateScan {
  private readonly view: DataView;
  /** The answer of `mayHoldState` for the text last passed to `utf8`. */
  lastMayHoldState = false;

  constructor(private readonly buf: Buffer) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  mayHoldState(start: number, end: number): boolean {
    this.utf8(start, end);
    return this.lastMayHoldState;
  }

  /** Whether `buf[start, end)` is strict UTF-8; also sets `lastMayHoldState` for it. */
  utf8(start: number, end: number): boolean {
    const buf = this.buf;
    let i = start;
    // firstNonSpace looks at 1024 characters at most; the skipped ones are one byte each.
    while (i < end && i - start < 1024 && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++;
    let look = i < end && i - start < 1024 && (buf[i] === 0x7b || buf[i] === 0x5b);
    this.lastMayHoldState = false;
    for (; i + 4 <= end; i += 4) {
      const x = this.view.getUint32(i, true);
      if ((x & 0x80808080) !== 0) break;
      if (!look) continue;
      const quote = x ^ 0x22222222;
      const bracket = x ^ 0x5b5b5b5b;
      // "Has a zero byte" of x^'"' or x^'[': exact for whether any of the four bytes is one.
      if (((((quote - 0x01010101) & ~quote) | ((bracket - 0x01010101) & ~bracket)) & 0x80808080) !== 0 && this.markerIn(i, i + 4, end)) {
        this.lastMayHoldState = true;
        look = false;
      }
    }
    // The last bytes, or the rest from the first word with a non-ASCII byte: markers byte by
    // byte, validity by the native (SIMD) check.
    if (look && this.markerIn(i, end, end)) this.lastMayHoldState = true;
    for (let k = i; k < end; k++) if ((buf[k] as number) >= 0x80) return isUtf8(new Uint8Array(buf.buffer, buf.byteOffset + k, end - k));
    return true;
  }

  /** Whether a marker starts in `[from, to)` and ends by `end`. */
  private markerIn(from: number, to: number, end: number): boolean {
    const buf = this.buf;
    for (let k = from; k < to; k++) {
      const b = buf[k];
      if (b === 0x5b) return true;
      if (b === 0x22 && (startsWith(buf, k, end, STATE) || startsWith(buf, k, end, PERSIST))) return true;
    }
    return false;
  }
}

const STATE = Buffer.from('"state"', 'latin1');
const PERSIST = Buffer.from('"_persist"', 'latin1');

function startsWith(buf: Buffer, at: number, end: number, marker: Buffer): boolean {
  if (at + marker.length > end) return false;
  for (let j = 1; j < marker.length; j++) if (buf[at + j] !== marker[j]) return false;
  return true;
}

/** Fields that identify a record, in order of preference. */
const ID_FIELDS = ['id', '_id', 'uuid', 'opId', 'clientId'] as const;

/** Nesting depth searched for collections below the envelope (state.x.y is depth 2). */
const MAX_COLLECTION_DEPTH = 3;

/**
 * Decodes a string value that looks like JSON (`{…}` or `[…]`). Returns undefined when it does
 * not look like JSON at all; a JSON-looking value that fails to parse yields a problem.
 */
export function decodeJsonString(key: string, text: string): DecodedJsonValue | undefined {
  const first = firstNonSpace(text);
  if (first !== '{' && first !== '[') return undefined;
  // Only envelopes and arrays of objects are worth a parse: plain JSON without `[{` cannot hold a
  // collection, and parsing every small JSON value of a 200k-key store is most of its decode time.
  if (!worthParsing(text)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const why = parseError(err);
    return {
      envelope: 'json',
      state: undefined,
      collections: [],
      problems: [{ code: 'VALUE_JSON_UNPARSEABLE', severity: 'warn', message: `value looks like JSON but does not parse (${why}); no records taken from it`, ref: key }],
    };
  }
  if (isZustandEnvelope(parsed)) {
    const problems: ValueProblem[] = [];
    const collections = findCollections(key, parsed.state, 'state', 'zustand', parsed.version, problems);
    return { envelope: 'zustand', version: parsed.version, state: parsed.state, collections, problems };
  }
  if (isReduxPersistRoot(parsed)) return decodeReduxPersist(key, parsed);
  const problems: ValueProblem[] = [];
  const collections = findCollections(key, parsed, '', 'json', undefined, problems);
  return { envelope: 'json', state: parsed, collections, problems };
}

/** JSON.parse's message without the quoted excerpt of the value (it may be private text). */
function parseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/"[^"]*"/g, '…').replace(/'[^']*'/g, '…');
}

function firstNonSpace(text: string): string | undefined {
  for (let i = 0; i < text.length && i < 1024; i++) {
    const c = text[i] as string;
    if (c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t') return c;
  }
  return undefined;
}

function isZustandEnvelope(v: unknown): v is { state: JsonRecord; version?: number } {
  if (!isPlainObject(v) || !isPlainObject(v['state'])) return false;
  // zustand persist writes exactly {state, version}; `version` is a number when present.
  return Object.keys(v).every((k) => k === 'state' || k === 'version') && (v['version'] === undefined || typeof v['version'] === 'number');
}

function isReduxPersistRoot(v: unknown): v is Record<string, string> {
  return isPlainObject(v) && typeof v['_persist'] === 'string' && Object.values(v).every((x) => typeof x === 'string');
}

/** redux-persist 5/6: every slice is JSON-encoded a second time, `_persist` too. */
function decodeReduxPersist(key: string, root: Record<string, string>): DecodedJsonValue {
  const problems: ValueProblem[] = [];
  const slices: JsonRecord = {};
  let version: number | undefined;
  const collections: DecodedCollection[] = [];
  for (const [slice, encoded] of Object.entries(root)) {
    let value: unknown;
    try {
      value = JSON.parse(encoded);
    } catch (err) {
      const why = parseError(err);
      problems.push({ code: 'VALUE_JSON_UNPARSEABLE', severity: 'warn', message: `redux-persist slice "${slice}" does not parse (${why}); no records taken from it`, ref: `${key}.${slice}` });
      continue;
    }
    if (slice === '_persist') {
      if (isPlainObject(value) && typeof value['version'] === 'number') version = value['version'];
      continue;
    }
    slices[slice] = value;
  }
  for (const [slice, value] of Object.entries(slices)) {
    collections.push(...findCollections(key, value, slice, 'redux-persist', version, problems));
  }
  return version === undefined
    ? { envelope: 'redux-persist', state: slices, collections, problems }
    : { envelope: 'redux-persist', version, state: slices, collections, problems };
}

function idFieldOf(items: unknown[]): string | undefined {
  if (items.length === 0 || !items.every(isPlainObject)) return undefined;
  const objects = items as JsonRecord[];
  return ID_FIELDS.find((f) => objects.every((o) => typeof o[f] === 'string' || typeof o[f] === 'number'));
}

function findCollections(
  key: string,
  value: unknown,
  path: string,
  envelope: JsonEnvelope,
  version: number | undefined,
  problems: ValueProblem[],
  depth = 0,
): DecodedCollection[] {
  const out: DecodedCollection[] = [];
  if (Array.isArray(value)) {
    const idField = idFieldOf(value);
    if (idField !== undefined) out.push(makeCollection(key, path, envelope, version, idField, value as JsonRecord[], problems));
    return out;
  }
  if (!isPlainObject(value) || depth >= MAX_COLLECTION_DEPTH) return out;
  for (const [field, child] of Object.entries(value)) {
    const childPath = path === '' ? field : `${path}.${field}`;
    out.push(...findCollections(key, child, childPath, envelope, version, problems, depth + 1));
  }
  return out;
}

function makeCollection(
  key: string,
  path: string,
  envelope: JsonEnvelope,
  version: number | undefined,
  idField: string,
  items: JsonRecord[],
  problems: ValueProblem[],
): DecodedCollection {
  // Later duplicates win, kept at the position of their last occurrence.
  const lastIndex = new Map<unknown, number>();
  items.forEach((item, i) => lastIndex.set(item[idField], i));
  const records = items.filter((item, i) => lastIndex.get(item[idField]) === i);
  const shortPath = envelope === 'zustand' && path.startsWith('state.') ? path.slice('state.'.length) : path;
  const name = shortPath === '' ? key : `${key}.${shortPath}`;
  if (records.length !== items.length) {
    problems.push({
      code: 'COLLECTION_DUPLICATE_ID',
      severity: 'warn',
      message: `${items.length - records.length} duplicated ${idField}(s) in ${path || 'the array'}: the later entry of each is kept, as the app would see it`,
      ref: name,
    });
  }
  const base = { key, path, name, envelope, idField, records, storedCount: items.length };
  return version === undefined ? base : { ...base, version };
}

/** A JSON value of a live key, decoded (Zustand state, redux-persist slices or plain JSON). */
export interface JsonStore {
  key: string;
  envelope: JsonEnvelope;
  version?: number;
  state: unknown;
}

/**
 * Gathers what the string values of one store decode to: the JSON stores, their collections and
 * the problems, so every reader (MMKV, AsyncStorage) decodes values the same way.
 */
export class JsonValueCollector {
  readonly jsonStores: JsonStore[] = [];
  readonly collections: DecodedCollection[] = [];
  readonly problems: ValueProblem[] = [];

  /** Decodes one value; returns its envelope when it is JSON holding a state, else undefined. */
  add(key: string, text: string): JsonEnvelope | undefined {
    const decoded = decodeJsonString(key, text);
    if (decoded === undefined) return undefined;
    this.collections.push(...decoded.collections);
    this.problems.push(...decoded.problems);
    if (decoded.state === undefined) return undefined;
    const js: JsonStore = { key, envelope: decoded.envelope, state: decoded.state };
    if (decoded.version !== undefined) js.version = decoded.version;
    this.jsonStores.push(js);
    return decoded.envelope;
  }
}

/** A collection without its records: what reports list. */
export interface CollectionSummary {
  key: string;
  name: string;
  path: string;
  envelope: JsonEnvelope;
  version?: number;
  idField: string;
  records: number;
  storedCount: number;
}

export function summariseCollections(collections: DecodedCollection[]): CollectionSummary[] {
  return collections.map((c) => {
    const s: CollectionSummary = { key: c.key, name: c.name, path: c.path, envelope: c.envelope, idField: c.idField, records: c.records.length, storedCount: c.storedCount };
    if (c.version !== undefined) s.version = c.version;
    return s;
  });
}

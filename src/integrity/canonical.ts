/**
 * The canonical form of a logical record: the one text every source (legacy SQLite, the unified
 * database, a Convex export, a live backend) is reduced to before hashing, so equal data hashes
 * equal wherever it lives. Rules, all declared here and nowhere else: object keys sorted by UTF-16
 * code unit and NFC-normalised; the record id appears as the key `id`; timestamp fields (by name)
 * become integer UTC milliseconds; numbers are canonical (see `NumberRule`); text is NFC; null and
 * absent follow `NullRule`; sync-only fields are excluded (configurable). It does not map source
 * layouts onto logical field names: that is the sources' job (see `sources/`).
 */

/** A record as every source hands it over: its id and its logical (camelCase) fields. */
export interface LogicalRecord {
  id: string;
  fields: Readonly<Record<string, unknown>>;
}

/**
 * `value` (default): numbers compare by value, so SQLite's 4, a REAL 4.0 and Convex's float64 4.0
 * are equal; used whenever one side cannot say int64 from float64. `typed`: int64 (bigint) and
 * float64 (number) stay distinct (`1` vs `1.0`); used when both sides carry Convex's types.
 */
export type NumberRule = 'value' | 'typed';
/**
 * `null-is-absent` (default): a null field and a missing field are the same, because SQLite has no
 * "absent" and Convex drops undefined fields. `distinct`: `{a: null}` differs from `{}`.
 */
export type NullRule = 'null-is-absent' | 'distinct';

export interface CanonicalOptions {
  numbers?: NumberRule;
  nulls?: NullRule;
  /** Logical field names left out of the canonical form; default `SYNC_ONLY_FIELDS`. */
  exclude?: Iterable<string>;
  /** Which top-level fields are timestamps; default: names ending in `At`/`_at`, and `_creationTime`. */
  isTimestamp?: (field: string) => boolean;
}

/**
 * Fields that describe sync bookkeeping rather than the user's data: they legitimately differ
 * between a device and the server (the server id is unknown on the device until the first push;
 * status and checksums are local), so they are not part of a record's identity or content.
 */
export const SYNC_ONLY_FIELDS: readonly string[] = [
  'id',
  'clientId',
  'serverId',
  '_id',
  '_creationTime',
  'syncStatus',
  'rowChecksum',
  'vectorClock',
];

/** Options resolved once, so hot loops do not re-read defaults. */
export interface CanonicalRules {
  typedNumbers: boolean;
  nullIsAbsent: boolean;
  exclude: ReadonlySet<string>;
  isTimestamp: (field: string) => boolean;
}

const TIMESTAMP_NAME = /(?:At|_at)$/;

export function defaultIsTimestamp(field: string): boolean {
  return TIMESTAMP_NAME.test(field) || field === '_creationTime';
}

export function resolveRules(options: CanonicalOptions = {}): CanonicalRules {
  return {
    typedNumbers: options.numbers === 'typed',
    nullIsAbsent: (options.nulls ?? 'null-is-absent') === 'null-is-absent',
    exclude: new Set(options.exclude ?? SYNC_ONLY_FIELDS),
    isTimestamp: options.isTimestamp ?? defaultIsTimestamp,
  };
}

/** Accepts either form, so API callers can pass plain options and hot paths pre-resolved rules. */
export function toRules(options: CanonicalRules | CanonicalOptions = {}): CanonicalRules {
  return typeof (options as CanonicalRules).nullIsAbsent === 'boolean'
    ? (options as CanonicalRules)
    : resolveRules(options as CanonicalOptions);
}

/** The canonical text of a record; its hash is the record hash. */
export function canonicalRecord(record: LogicalRecord, rules: CanonicalRules = resolveRules()): string {
  const fields = canonicalFields(record.fields, rules);
  fields.set('id', encodeString(record.id));
  return joinSorted(fields);
}

/**
 * Each kept field's canonical value text, keyed by its NFC name (no `id`). Used both to build the
 * record text and to compute a field-level diff between two copies of a record.
 */
export function canonicalFields(fields: Readonly<Record<string, unknown>>, rules: CanonicalRules): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of Object.keys(fields)) {
    // the record id is the key `id`; a field of that name cannot shadow it
    if (key === 'id' || rules.exclude.has(key)) continue;
    const value = fields[key];
    if (value === undefined || (value === null && rules.nullIsAbsent)) continue;
    out.set(normaliseText(key), rules.isTimestamp(key) ? encodeTimestamp(value, rules) : encodeValue(value, rules));
  }
  return out;
}

function joinSorted(fields: Map<string, string>): string {
  const keys = [...fields.keys()].sort();
  let s = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    s += (i === 0 ? '' : ',') + encodeString(k) + ':' + fields.get(k)!;
  }
  return s + '}';
}

/**
 * A timestamp as integer UTC ms. Numbers below 1e11 are seconds (1e11 ms is 1973, 1e11 s is the
 * year 5138), fractions are truncated (Convex's float64 ms), ISO-8601 strings are parsed, anything
 * else is left as it is (and so shows up as a difference rather than being guessed at).
 */
export function normaliseTimestampMs(value: unknown): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return value;
    const ms = Math.abs(value) < 1e11 ? value * 1000 : value;
    return Math.trunc(ms) + 0; // + 0 folds -0 into 0
  }
  if (typeof value === 'bigint') {
    const abs = value < 0n ? -value : value;
    return abs < 100_000_000_000n ? value * 1000n : value;
  }
  if (typeof value === 'string' && ISO_DATE.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? value : ms;
  }
  if (value instanceof Date) return value.getTime();
  return value;
}

/** A timestamp field's text: integer ms digits whatever the number rule (its unit is the point). */
export function encodeTimestamp(value: unknown, rules: CanonicalRules): string {
  const ms = normaliseTimestampMs(value);
  return typeof ms === 'number' && Number.isInteger(ms) ? encodeNumber(ms, false) : encodeValue(ms, rules);
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Canonical text of any value (nested objects get sorted keys and the null rule too). */
export function encodeValue(value: unknown, rules: CanonicalRules): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value);
    case 'number':
      return encodeNumber(value, rules.typedNumbers);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'object':
      if (value === null) return 'null';
      if (value instanceof Uint8Array) return `{"$bytes":"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"}`;
      if (value instanceof ArrayBuffer) return `{"$bytes":"${Buffer.from(value).toString('base64')}"}`;
      if (value instanceof Date) return encodeNumber(value.getTime(), false);
      if (Array.isArray(value)) return '[' + value.map((v) => encodeValue(v, rules)).join(',') + ']';
      return encodeObject(value as Record<string, unknown>, rules);
    default:
      // functions and symbols never come out of a reader; show them rather than hash nothing
      return encodeString(String(value));
  }
}

function encodeObject(obj: Record<string, unknown>, rules: CanonicalRules): string {
  const entries = new Map<string, string>();
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === undefined || (v === null && rules.nullIsAbsent)) continue;
    entries.set(normaliseText(key), encodeValue(v, rules));
  }
  return joinSorted(entries);
}

/**
 * Value rule: integral numbers print as exact decimal integers (so float64 4.0 equals int64 4),
 * other finite numbers in JavaScript's shortest round-trip form. Typed rule: a float64 keeps a
 * `.0`, so it differs from the int64 of the same value. Non-finite floats use Convex's `$float`
 * marker with a readable payload.
 */
export function encodeNumber(v: number, typed: boolean): string {
  if (Number.isInteger(v)) {
    if (typed && Object.is(v, -0)) return '-0.0';
    const digits = Number.isSafeInteger(v) ? String(v + 0) : BigInt(v).toString();
    return typed ? digits + '.0' : digits;
  }
  if (Number.isFinite(v)) return String(v);
  return `{"$float":"${String(v)}"}`;
}

// Printable ASCII minus `"` and `\`: such a string is already NFC and needs no JSON escaping.
const NEEDS_WORK = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

export function encodeString(s: string): string {
  return NEEDS_WORK.test(s) ? JSON.stringify(s.normalize('NFC')) : '"' + s + '"';
}

function normaliseText(s: string): string {
  return NEEDS_WORK.test(s) ? s.normalize('NFC') : s;
}

/** snake_case → camelCase, the mapping from SQLite column names to logical field names. */
export function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** camelCase → snake_case, for collection names (Convex `userProgress` is the `user_progress` collection). */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

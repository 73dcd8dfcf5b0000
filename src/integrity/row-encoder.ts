/**
 * Turns raw SQLite rows (arrays, as `stmt.raw().iterate()` yields them) into canonical record text
 * without building a record object per row: the field order, the key prefixes and each column's
 * conversion are worked out once per table. `rowToRecord` is the slow, object-building twin used
 * for diffs and repair plans; both go through `convertColumnValue`, so for any row
 * `canonicalRecord(rowToRecord(row)) === encodeRow(row)` (a property test checks it).
 */
import {
  encodeString,
  encodeTimestamp,
  encodeValue,
  type CanonicalRules,
  type LogicalRecord,
} from './canonical.js';

/**
 * How a column's stored value becomes a logical value. `json`: text holding JSON (parsed; text
 * that is not JSON stays text). `boolean`: 0/1 become false/true. Other kinds pass the stored
 * value through. Timestamps are recognised by field name (`CanonicalRules.isTimestamp`), as in
 * `canonicalRecord`.
 */
export type FieldKind = 'text' | 'integer' | 'real' | 'boolean' | 'json' | 'any';

export interface FieldSpec {
  /** Logical (camelCase) field name. */
  field: string;
  kind: FieldKind;
}

/** Parsed JSON, or the text itself when it is not JSON (kept rather than dropped). */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function convertColumnValue(kind: FieldKind, v: unknown): unknown {
  if (v === null) return null;
  if (kind === 'json') return typeof v === 'string' ? safeJson(v) : v;
  if (kind === 'boolean' && (v === 0 || v === 1 || v === 0n || v === 1n)) return v === 1 || v === 1n;
  return v;
}

export type RowEncoder = (row: readonly unknown[]) => string;

/**
 * `specs[i]` describes `row[i + 1]`; `row[0]` is the record id. Fields the rules exclude are
 * skipped, which is how sync-only columns stay out without being left out of the SELECT.
 */
export function compileRowEncoder(specs: readonly FieldSpec[], rules: CanonicalRules): RowEncoder {
  const plan: Array<{ key: string; index: number; kind: FieldKind; timestamp: boolean }> = [];
  specs.forEach((s, i) => {
    if (s.field === 'id' || rules.exclude.has(s.field)) return;
    plan.push({ key: s.field.normalize('NFC'), index: i + 1, kind: s.kind, timestamp: rules.isTimestamp(s.field) });
  });
  plan.push({ key: 'id', index: 0, kind: 'text', timestamp: false });
  plan.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const n = plan.length;
  const prefixes = plan.map((p) => encodeString(p.key) + ':');
  const commaPrefixes = prefixes.map((p) => ',' + p);
  const indexes = Int32Array.from(plan.map((p) => p.index));
  const kinds = plan.map((p) => p.kind);
  const stamps = plan.map((p) => p.timestamp);
  const nullIsAbsent = rules.nullIsAbsent;
  const byValue = !rules.typedNumbers;
  return (row) => {
    let s = '{';
    let first = true;
    for (let i = 0; i < n; i++) {
      const raw = row[indexes[i]!];
      const kind = kinds[i]!;
      let text: string;
      // Fast paths (hot loop): each gives exactly what the general path below would.
      if (typeof raw === 'number' && byValue && kind !== 'boolean' && Number.isSafeInteger(raw) && (!stamps[i] || raw >= 1e11 || raw <= -1e11)) {
        text = '' + raw;
      } else if (kind === 'json' && byValue && typeof raw === 'string' && CANONICAL_JSON_ARRAY.test(raw)) {
        text = raw;
      } else {
        const v = kind === 'json' || kind === 'boolean' ? convertColumnValue(kind, raw) : raw;
        if (v === undefined || (v === null && nullIsAbsent)) continue;
        text = typeof v === 'string' && !stamps[i] ? encodeString(v) : stamps[i] ? encodeTimestamp(v, rules) : encodeValue(v, rules);
      }
      if (first) {
        s += prefixes[i]! + text;
        first = false;
      } else s += commaPrefixes[i]! + text;
    }
    return s + '}';
  };
}

/**
 * JSON text that is already in canonical form: an array (no spaces) of printable-ASCII strings
 * without escapes and of small integers. Such text is its own canonical encoding, so the hot
 * loop can skip parsing it (tags columns are mostly this).
 */
const CANONICAL_JSON_ARRAY = /^\[(?:(?:"[\x20\x21\x23-\x5b\x5d-\x7e]*"|(?:0|-?[1-9]\d{0,14}))(?:,(?:"[\x20\x21\x23-\x5b\x5d-\x7e]*"|(?:0|-?[1-9]\d{0,14})))*)?\]$/;

/** The logical record of a raw row (same layout as for `compileRowEncoder`). */
export function rowToRecord(specs: readonly FieldSpec[], row: readonly unknown[]): LogicalRecord {
  const fields: Record<string, unknown> = {};
  specs.forEach((s, i) => {
    fields[s.field] = convertColumnValue(s.kind, row[i + 1]);
  });
  return { id: String(row[0]), fields };
}

/**
 * Turns one raw legacy row (a SQLite row, an item of a persisted store array, a server document)
 * into a `SourceRecord` with unified column names and values, through a profile's `FieldMapping`.
 * Every conversion is either exact (integral REAL → integer, JSON text ↔ array, 0/1 ↔ boolean,
 * timestamp units → UTC ms, counted per field) or refused: a value the column cannot represent is
 * kept as it was and listed as a fidelity issue. A row without an id is set aside, never dropped.
 */
import { isPlainObject } from '../json-value.js';
import { canonicalJson } from '../outbox/idempotency.js';
import { collectionColumns, type ColumnKind } from '../schema/index.js';
import { normaliseTimestamp } from './timestamps.js';
import type {
  FidelityIssue,
  FieldMapping,
  FieldValue,
  Layer,
  LegacyStatus,
  SetAside,
  SourceRecord,
  TimestampDecision,
  TimeUnit,
} from './types.js';

/** Collects what normalisation decided, across every row of every source. */
export class NormaliseLog {
  readonly setAside: SetAside[] = [];
  readonly fidelity: FidelityIssue[] = [];
  private readonly decisions = new Map<string, TimestampDecision>();

  private lastKey = '';
  private lastEntry: TimestampDecision | undefined;

  decide(collection: string, source: string, field: string, decision: string, n = 1): void {
    const key = `${collection}\u0000${source}\u0000${field}`;
    // rows of one source repeat the same few fields: skip the map lookup when it is the same one
    let entry = key === this.lastKey ? this.lastEntry : this.decisions.get(key);
    if (entry === undefined) {
      entry = { collection, source, field, decisions: {} };
      this.decisions.set(key, entry);
    }
    this.lastKey = key;
    this.lastEntry = entry;
    entry.decisions[decision] = (entry.decisions[decision] ?? 0) + n;
  }

  timestampDecisions(): TimestampDecision[] {
    return [...this.decisions.values()];
  }
}

export interface RowContext {
  collection: string;
  layer: Layer;
  source: string;
  mapping: FieldMapping;
  log: NormaliseLog;
}

const TIME_FIELD = /(_at|At)$/;
const INTEGER_TEXT = /^-?\d{1,15}$/;
const NUMBER_TEXT = /^-?\d{1,15}(?:\.\d+)?$/;
/** Keys that would reach an object's prototype if used as field names. */
const PROTO_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const snakeCache = new Map<string, string>();

/** camelCase / PascalCase → snake_case; snake_case stays as it is. */
export function snakeCase(name: string): string {
  let out = snakeCache.get(name);
  if (out === undefined) {
    out = toSnake(name);
    if (snakeCache.size < 10_000) snakeCache.set(name, out);
  }
  return out;
}

function toSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** Normalises one raw row; returns null (and records a set-aside entry) when it cannot be a record. */
export function normaliseRow(raw: unknown, index: number, ctx: RowContext): SourceRecord | null {
  const { collection, source, mapping, log } = ctx;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    log.setAside.push({ collection, source, index, reason: 'not an object', raw });
    return null;
  }
  const row = raw as Record<string, unknown>;
  const idRaw = row[mapping.id];
  const clientId = typeof idRaw === 'string' ? idRaw : typeof idRaw === 'number' ? String(idRaw) : '';
  if (clientId === '') {
    log.setAside.push({ collection, source, index, reason: `no id (field "${mapping.id}")`, raw });
    return null;
  }
  const issue = (field: string, problem: string, value: unknown): void => {
    log.fidelity.push({ collection, source, clientId, field, problem, raw: value });
  };
  const time = (field: string | undefined): { ms: number | null; seconds: boolean } => {
    if (field === undefined) return { ms: null, seconds: false };
    const unit: TimeUnit = mapping.timestamps?.[field] ?? 'auto';
    const r = normaliseTimestamp(row[field], unit);
    if (r === null) return { ms: null, seconds: false };
    if (!r.ok) {
      issue(field, r.problem, row[field]);
      return { ms: null, seconds: false };
    }
    log.decide(collection, source, field, r.decision);
    return { ms: r.ms, seconds: r.seconds };
  };
  const text = (field: string | undefined): string | null => {
    if (field === undefined) return null;
    const v = row[field];
    if (v === null || v === undefined || v === '') return null;
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    issue(field, `not text (${typeof v}); stored as JSON text`, v);
    return JSON.stringify(v);
  };

  const created = time(mapping.createdAt);
  const updated = time(mapping.updatedAt);
  const deleted = time(mapping.deletedAt);
  const legacyStatus = readStatus(row, mapping);
  let deletedAt = deleted.ms;
  const flagged =
    legacyStatus === 'deleted' || (mapping.deletedFlag !== undefined && Boolean(row[mapping.deletedFlag]));
  // a tombstone without its own deletion time was deleted when it was last updated
  if (flagged && deletedAt === null) deletedAt = updated.ms ?? created.ms ?? 0;

  let version: number | null = null;
  if (mapping.version !== undefined) {
    const v = row[mapping.version];
    if (typeof v === 'number' && Number.isInteger(v)) version = v;
    else if (v !== null && v !== undefined) issue(mapping.version, 'version is not an integer; left null', v);
  }

  let vectorClock: string | null = null;
  if (mapping.vectorClock !== undefined) {
    const v = row[mapping.vectorClock];
    const parsed = typeof v === 'string' ? tryParse(v) : v;
    if (isPlainObject(parsed)) {
      vectorClock = canonicalJson(parsed);
    } else if (v !== null && v !== undefined) {
      issue(mapping.vectorClock, 'vector clock is not a JSON object; kept as text', v);
      vectorClock = typeof v === 'string' ? v : JSON.stringify(v);
    }
  }

  const consumed = new Set<string>(
    [
      mapping.id,
      mapping.serverId,
      mapping.userId,
      mapping.createdAt,
      mapping.updatedAt,
      mapping.deletedAt,
      mapping.version,
      mapping.vectorClock,
      mapping.status?.field,
      mapping.deletedFlag,
      ...(mapping.drop ?? []),
    ].filter((f): f is string => f !== undefined),
  );
  const { columns, kinds } = columnsOf(collection);
  const fields: Record<string, FieldValue> = {};
  for (const d of columns?.domain ?? []) fields[d.name] = null;
  let seconds = updated.seconds || (updated.ms === null && created.seconds);
  for (const key of Object.keys(row)) {
    if (consumed.has(key)) continue;
    const column = mapping.rename?.[key] ?? snakeCase(key);
    const value = row[key];
    if (PROTO_KEYS.has(column)) {
      issue(key, 'field name would reach the object prototype; kept in the report only', value);
      continue;
    }
    const isTime = mapping.timestamps?.[key] !== undefined || TIME_FIELD.test(key);
    if (columns === undefined) {
      // generic `records` collection: keep JSON values, still normalising timestamps
      if (isTime && (typeof value === 'number' || typeof value === 'string')) {
        const r = time(key);
        fields[column] = r.ms ?? (value as FieldValue);
        seconds ||= r.seconds;
      } else {
        fields[column] = toJsonValue(value);
      }
      continue;
    }
    const kind = kinds.get(column);
    if (kind === undefined) {
      if (value !== null && value !== undefined) issue(key, `no column "${column}" in ${collection}; kept in the report only`, value);
      continue;
    }
    if (isTime && kind === 'integer' && value !== null && value !== undefined) {
      const r = time(key);
      fields[column] = r.ms ?? keepRaw(value);
      seconds ||= r.seconds;
      continue;
    }
    fields[column] = convert(value, kind, (problem) => issue(key, problem, value));
  }

  const serverId = text(mapping.serverId);
  const seen = mapping.syncedBefore === undefined ? undefined : readDotted(row, mapping.syncedBefore);
  return {
    collection,
    layer: ctx.layer,
    source,
    index,
    clientId,
    serverId,
    knownToServer: serverId !== null || (seen !== undefined && seen !== null && seen !== false && seen !== 0),
    userId: text(mapping.userId),
    createdAt: created.ms,
    updatedAt: updated.ms,
    deletedAt,
    version,
    vectorClock,
    legacyStatus,
    fields,
    secondsPrecision: seconds,
  };
}

const columnCache = new Map<string, { columns: ReturnType<typeof collectionColumns>; kinds: Map<string, ColumnKind> }>();

function columnsOf(collection: string): { columns: ReturnType<typeof collectionColumns>; kinds: Map<string, ColumnKind> } {
  let c = columnCache.get(collection);
  if (c === undefined) {
    const columns = collectionColumns(collection);
    c = { columns, kinds: new Map<string, ColumnKind>(columns?.domain.map((d) => [d.name, d.kind]) ?? []) };
    columnCache.set(collection, c);
  }
  return c;
}

function readStatus(row: Record<string, unknown>, mapping: FieldMapping): LegacyStatus {
  const spec = mapping.status;
  if (spec === undefined) return null;
  const v = readDotted(row, spec.field);
  const dirty = spec.dirty !== undefined && Boolean(readDotted(row, spec.dirty));
  if (v === null || v === undefined) return dirty ? 'pending' : null;
  const s = String(v);
  if (spec.deleted?.includes(s)) return 'deleted';
  if (spec.failed?.includes(s)) return 'failed';
  if (spec.pending?.includes(s) || dirty) return 'pending';
  if (spec.synced === undefined || spec.synced.includes(s)) return 'synced';
  return null;
}

function readDotted(row: Record<string, unknown>, path: string): unknown {
  let cur: unknown = row;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Converts a value for a column kind, or keeps it as it was and reports why. */
function convert(value: unknown, kind: ColumnKind, report: (problem: string) => void): FieldValue {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'text':
      if (typeof value === 'string') return value;
      report(`${typeof value} in a text column; stored as JSON text`);
      return JSON.stringify(value);
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value === 'boolean') return value ? 1 : 0;
      return numericOrRaw(value, INTEGER_TEXT, 'integer', report);
    case 'real':
      if (typeof value === 'number') return value;
      return numericOrRaw(value, NUMBER_TEXT, 'real', report);
    case 'boolean':
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (value === 0 || value === 1) return value;
      report(`${describe(value)} in a boolean column; kept as it was`);
      return keepRaw(value);
    case 'json': {
      if (typeof value === 'object') return JSON.stringify(value);
      if (typeof value === 'string') {
        const parsed = tryParse(value);
        if (parsed !== undefined) return JSON.stringify(parsed);
        report('invalid JSON text; kept as it was');
        return value;
      }
      report(`${typeof value} in a JSON column; stored as JSON`);
      return JSON.stringify(value);
    }
  }
}

/**
 * Numeric text becomes a number (SQLite's column affinity would convert it anyway; doing it here
 * gets it reported); anything else is kept as it was.
 */
function numericOrRaw(value: unknown, pattern: RegExp, kind: 'integer' | 'real', report: (problem: string) => void): FieldValue {
  if (typeof value === 'string' && pattern.test(value.trim())) {
    report(`numeric text in ${kind === 'integer' ? 'an integer' : 'a real'} column; stored as a number`);
    return Number(value.trim());
  }
  report(`${describe(value)} in ${kind === 'integer' ? 'an integer' : 'a real'} column; kept as it was`);
  return keepRaw(value);
}

function describe(value: unknown): string {
  return typeof value === 'number' ? 'non-integral number' : typeof value;
}

/** A raw value SQLite can store as-is (text or number); anything else as JSON text. */
function keepRaw(value: unknown): FieldValue {
  if (typeof value === 'string' || typeof value === 'number') return value;
  return JSON.stringify(value) ?? null;
}

function toJsonValue(value: unknown): FieldValue {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  return value as FieldValue;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

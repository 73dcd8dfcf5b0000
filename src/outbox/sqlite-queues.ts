/**
 * Reads the SQLite queue shapes (Drizzle `sync_queue`, hybrid queue, WatermelonDB `sync_queue`,
 * the triple layer's `outbox`, the unified `sync_queue`) and the record tables they point at.
 * A shape is recognised by its columns, never by file name. Rows come out in the queue's own send
 * order (sequence number, else rowid, i.e. insertion order). Only private copies are opened, read-only.
 */
import { openSqlite, type SqliteDb as Db } from '../readers/sqlite-open.js';
import type { OpKind, OutboxOp, OutboxRecordState, OutboxShape, OutboxStatus } from './types.js';
import { decodePayload, payloadField } from './payload.js';
import { normaliseTimestamp, toMs } from './timestamps.js';
import { quoteIdent } from '../readers/sqlite.js';

type Row = Record<string, unknown>;

/** An OutboxOp before its snapshot-wide position is known. */
export type QueueEntry = Omit<OutboxOp, 'position'>;

export interface SqliteQueue {
  table: string;
  shape: OutboxShape;
  entries: QueueEntry[];
  recordTables: string[];
}

export interface SqliteOutbox {
  queues: SqliteQueue[];
  records: OutboxRecordState[];
}

export function tableColumns(db: Db, table: string): Set<string> {
  const rows = db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as Array<{ name: string }>;
  return new Set(rows.map((r) => r.name));
}

export function listTables(db: Db): string[] {
  return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as Array<{ name: string }>).map(
    (r) => r.name,
  );
}

/** Which queue shape a table is, from its columns; null when it is no queue we know. */
export function detectQueueShape(table: string, cols: Set<string>): OutboxShape | null {
  const has = (...names: string[]): boolean => names.every((n) => cols.has(n));
  if (table === 'outbox' && has('collection', 'op', 'payload')) return 'triple-layer';
  if (!/queue|outbox/i.test(table)) return null;
  if (has('seq', 'collection', 'record_client_id', 'op', 'idempotency_key')) return 'unified';
  if (has('idempotency_key', 'sequence_number', 'entity_type', 'entity_id')) return 'hybrid';
  if (has('_status', 'collection', 'document_id', 'operation')) return 'watermelondb';
  if (has('table_name', 'operation', 'record_client_id')) return 'drizzle';
  return null;
}

const STATUS_MAP: Record<string, OutboxStatus> = {
  pending: 'pending',
  queued: 'pending',
  retry: 'pending',
  in_flight: 'in_flight',
  in_progress: 'in_flight',
  inflight: 'in_flight',
  sending: 'in_flight',
  processing: 'in_flight',
  done: 'done',
  completed: 'done',
  synced: 'done',
  sent: 'done',
  failed: 'failed',
  error: 'failed',
  dead: 'dead',
  dead_letter: 'dead',
};

export function normaliseStatus(raw: unknown): OutboxStatus {
  if (raw === null || raw === undefined) return 'pending';
  if (typeof raw !== 'string') return 'unknown';
  return STATUS_MAP[raw.toLowerCase()] ?? 'unknown';
}

export function normaliseOpKind(raw: unknown): OpKind | null {
  if (typeof raw !== 'string') return null;
  const s = raw.toLowerCase();
  if (s === 'create' || s === 'insert') return 'create';
  if (s === 'update' || s === 'patch' || s === 'upsert') return 'update';
  if (s === 'delete' || s === 'remove' || s === 'destroy') return 'delete';
  return null;
}

function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  // JSON queues can hold anything where an id should be: keep it visible, never throw
  return JSON.stringify(v) ?? null;
}

function int(v: unknown, fallback: number): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  return fallback;
}

function intOrNull(v: unknown): number | null {
  const n = int(v, Number.NaN);
  return Number.isNaN(n) ? null : n;
}

/** `depends_on` holds one id, a JSON array of ids, or nothing. */
export function parseDependsOn(v: unknown): string[] {
  if (v === null || v === undefined || v === '') return [];
  if (Array.isArray(v)) return v.map(String);
  const s = String(v).trim();
  if (s.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(s);
      if (Array.isArray(parsed)) return parsed.filter((x) => x !== null && x !== undefined).map(String);
    } catch {
      // not JSON: fall through and treat it as one id (lint reports it dangling if it is none)
    }
  }
  return s.split(',').map((x) => x.trim()).filter(Boolean);
}

/** The raw columns of one queue row, per shape, before the common normalisation. */
interface RawEntry {
  id: unknown;
  seq: unknown;
  collection: unknown;
  recordId: unknown;
  op: unknown;
  payload: unknown;
  idempotencyKey: unknown;
  status: unknown;
  attempts: unknown;
  maxAttempts: unknown;
  lastError: unknown;
  dependsOn: unknown;
  createdAt: unknown;
  lastAttemptAt: unknown;
  nextAttemptAt: unknown;
  deviceId: unknown;
  baseVersion: unknown;
}

function mapRow(shape: OutboxShape, r: Row): RawEntry {
  const base = {
    id: r['id'],
    seq: r['__rowid'],
    payload: r['payload'],
    idempotencyKey: r['idempotency_key'] ?? null,
    status: r['status'] ?? null,
    attempts: r['attempts'] ?? r['retry_count'] ?? 0,
    maxAttempts: r['max_attempts'] ?? null,
    lastError: r['last_error'] ?? null,
    dependsOn: r['depends_on'] ?? null,
    createdAt: r['created_at'],
    lastAttemptAt: r['last_attempt_at'] ?? null,
    nextAttemptAt: r['next_attempt_at'] ?? r['scheduled_at'] ?? null,
    deviceId: r['device_id'] ?? null,
    baseVersion: r['base_version'] ?? null,
  };
  switch (shape) {
    case 'unified':
      return { ...base, seq: r['seq'], collection: r['collection'], recordId: r['record_client_id'], op: r['op'] };
    case 'hybrid':
      return { ...base, seq: r['sequence_number'], collection: r['entity_type'], recordId: r['entity_id'], op: r['operation'] };
    case 'watermelondb':
      return { ...base, collection: r['collection'], recordId: r['document_id'], op: r['operation'], payload: r['data'] };
    case 'drizzle':
      return { ...base, collection: r['table_name'], recordId: r['record_client_id'], op: r['operation'] };
    case 'triple-layer':
    case 'redux-persist':
      return { ...base, collection: r['collection'], recordId: null, op: r['op'] };
  }
}

/** Normalises one raw entry; `recordTable` is resolved later against the tables that exist. */
export function toQueueEntry(shape: OutboxShape, store: string, queue: string, raw: RawEntry, deviceId: string | null): QueueEntry {
  const decoded = decodePayload(raw.payload);
  const created = normaliseTimestamp(raw.createdAt);
  const recordId = text(raw.recordId) ?? text(payloadField(decoded.payload, 'id', 'clientId', 'client_id'));
  const status = normaliseStatus(raw.status);
  return {
    id: text(raw.id) ?? '',
    shape,
    store,
    queue,
    seq: intOrNull(raw.seq),
    collection: text(raw.collection) ?? '',
    recordId,
    recordTable: null,
    op: normaliseOpKind(raw.op),
    rawOp: typeof raw.op === 'string' ? raw.op : JSON.stringify(raw.op ?? '') ?? '',
    ...decoded,
    idempotencyKey: text(raw.idempotencyKey),
    status,
    rawStatus: raw.status === null || raw.status === undefined ? null : typeof raw.status === 'string' ? raw.status : (JSON.stringify(raw.status) ?? null),
    attempts: int(raw.attempts, 0),
    maxAttempts: intOrNull(raw.maxAttempts),
    lastError: text(raw.lastError),
    dependsOn: parseDependsOn(raw.dependsOn),
    createdAt: created?.ms ?? null,
    createdAtUnit: created?.unit ?? null,
    lastAttemptAt: toMs(raw.lastAttemptAt),
    nextAttemptAt: toMs(raw.nextAttemptAt),
    deviceId: text(raw.deviceId) ?? deviceId,
    baseVersion: intOrNull(raw.baseVersion),
    updatedAt: toMs(payloadField(decoded.payload, 'updated_at', 'updatedAt')),
  };
}

/** Reads a key-value "device id" some apps keep (hybrid `sync_state`, unified `sync_metadata`). */
function readDeviceId(db: Db, tables: string[]): string | null {
  for (const t of ['sync_state', 'local_storage', 'sync_metadata']) {
    if (!tables.includes(t)) continue;
    const cols = tableColumns(db, t);
    if (!cols.has('key') || !cols.has('value')) continue;
    const row = db.prepare(`SELECT value FROM ${quoteIdent(t)} WHERE key IN ('device_id', 'deviceId') LIMIT 1`).get() as
      | { value: unknown }
      | undefined;
    if (row && row.value !== null) return String(row.value);
  }
  return null;
}

/** The table a queue's collection name points at: exact, then plural forms (`pin` → `pins`). */
function resolveTable(collection: string, tables: Set<string>): string | null {
  for (const candidate of [collection, collection + 's', collection + 'es', collection.replace(/y$/, 'ies')]) {
    if (tables.has(candidate)) return candidate;
  }
  return null;
}

const ID_COLUMNS = ['client_id', 'id', '_id'];

/** Tables that hold synced records: referenced by a queue, or carrying sync bookkeeping columns. */
function isRecordTable(cols: Set<string>): boolean {
  return ID_COLUMNS.some((c) => cols.has(c)) && (cols.has('_status') || cols.has('sync_status'));
}

function readRecords(db: Db, store: string, table: string, cols: Set<string>): OutboxRecordState[] {
  const idCol = ID_COLUMNS.find((c) => cols.has(c));
  if (!idCol) return [];
  const pick = ['sync_status', '_status', 'deleted_at', 'vector_clock', 'updated_at'].filter((c) => cols.has(c));
  const sql = `SELECT ${[idCol, ...pick].map(quoteIdent).join(', ')} FROM ${quoteIdent(table)}`;
  const out: OutboxRecordState[] = [];
  for (const r of db.prepare(sql).iterate() as Iterable<Row>) {
    const syncStatus = text(r['sync_status']);
    const localStatus = text(r['_status']);
    const deletedAt = r['deleted_at'];
    out.push({
      store,
      table,
      recordId: text(r[idCol]) ?? '',
      deleted:
        (deletedAt !== null && deletedAt !== undefined) || localStatus === 'deleted' || syncStatus === 'deleted',
      dirty: localStatus !== null ? localStatus !== 'synced' : syncStatus !== null ? syncStatus !== 'synced' : null,
      syncStatus,
      localStatus,
      vectorClock: parseClock(r['vector_clock']),
      updatedAt: toMs(r['updated_at']),
    });
  }
  return out;
}

export function parseClock(v: unknown): Record<string, number> | null {
  let obj: unknown = v;
  if (typeof v === 'string') {
    try {
      obj = JSON.parse(v);
    } catch {
      return null;
    }
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return null;
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(obj)) if (typeof n === 'number') out[k] = n;
  return out;
}

/** Reads every queue and (unless told not to) the records they refer to from one SQLite store (its private copy). */
export function readSqliteOutbox(db: Db, store: string, { records: withRecords = true }: { records?: boolean } = {}): SqliteOutbox {
  const tables = listTables(db);
  const tableSet = new Set(tables);
  const deviceId = readDeviceId(db, tables);
  const queues: SqliteQueue[] = [];
  const queueTables = new Set<string>();
  for (const table of tables) {
    const cols = tableColumns(db, table);
    const shape = detectQueueShape(table, cols);
    if (!shape) continue;
    queueTables.add(table);
    const order = cols.has('seq') && shape === 'unified' ? 'seq, rowid' : shape === 'hybrid' ? 'sequence_number, rowid' : 'rowid';
    const rows = db.prepare(`SELECT rowid AS __rowid, * FROM ${quoteIdent(table)} ORDER BY ${order}`).all() as Row[];
    const entries = rows.map((r) => toQueueEntry(shape, store, table, mapRow(shape, r), deviceId));
    const recordTables = new Set<string>();
    for (const e of entries) {
      e.recordTable = resolveTable(e.collection, tableSet);
      if (e.recordTable) recordTables.add(e.recordTable);
    }
    queues.push({ table, shape, entries, recordTables: [...recordTables].sort() });
  }
  if (queues.length === 0 || !withRecords) return { queues, records: [] };
  const wanted = new Set(queues.flatMap((q) => q.recordTables));
  const records: OutboxRecordState[] = [];
  for (const table of tables) {
    if (queueTables.has(table) || table.startsWith('sqlite_')) continue;
    const cols = tableColumns(db, table);
    // a loop, not push(...rows): spreading a 150k-row table overflows the call stack
    if (wanted.has(table) || isRecordTable(cols)) for (const r of readRecords(db, store, table, cols)) records.push(r);
  }
  return { queues, records };
}

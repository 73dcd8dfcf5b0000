/**
 * The one outbox model every queue shape is normalised into. A reader keeps the source's own
 * identifiers (`id`, `idempotencyKey`, `seq`) untouched so findings can name the planted entries,
 * normalises units (timestamps to UTC ms) and vocabularies (op kinds, statuses), and keeps what it
 * could not normalise (`rawOp`, `rawStatus`, `payloadError`) for lint to report rather than drop.
 */
import type { OpKind } from '../backends/types.js';
import type { MirrorQueue } from './mirror-queues.js';

export type { OpKind, MirrorQueue };

/** The queue layouts found in the wild (see DESIGN.md "Outbox"). */
export type OutboxShape = 'drizzle' | 'hybrid' | 'watermelondb' | 'triple-layer' | 'redux-persist' | 'unified';

/** The unified status vocabulary; `unknown` keeps a raw status no shape defines (lint reports it). */
export type OutboxStatus = 'pending' | 'in_flight' | 'done' | 'failed' | 'dead' | 'unknown';

/** Statuses that still have to reach the backend. */
export const OPEN_STATUSES: ReadonlySet<OutboxStatus> = new Set(['pending', 'in_flight', 'failed']);

export type TimestampUnit = 's' | 'ms' | 'us';

export interface OutboxOp {
  /** The queue entry's own id, as text (`"3"`, a UUID, `"sq_qu_0003"`). */
  id: string;
  shape: OutboxShape;
  /** Path of the store inside the snapshot (e.g. `SQLite/tasks.db`, `databases/RKStorage`). */
  store: string;
  /** The queue inside that store: a table name, or `persist:root/quotes` for a redux-persist slice. */
  queue: string;
  /** Position in send order across the whole snapshot (0-based, no gaps). */
  position: number;
  /** The source's sequence number (or autoincrement id / array index when it has none); null if the row has a null one. */
  seq: number | null;
  collection: string;
  recordId: string | null;
  /** Where the op's record lives (table name or slice); null when unknown (no orphan checks then). */
  recordTable: string | null;
  /** Normalised op kind; null when the source's op is not create/update/delete (see rawOp). */
  op: OpKind | null;
  rawOp: string;
  /** Parsed payload object; null for deletes without one or when the text is not valid JSON. */
  payload: Record<string, unknown> | null;
  /** The payload as stored (JSON text) when the source stores text. */
  payloadText: string | null;
  /** Why the payload could not be used (invalid JSON, not an object). */
  payloadError: string | null;
  /** The op's own idempotency key, when its queue has one. Replay derives one otherwise. */
  idempotencyKey: string | null;
  status: OutboxStatus;
  rawStatus: string | null;
  attempts: number;
  /** The op's own retry budget; null when the queue does not record one. */
  maxAttempts: number | null;
  lastError: string | null;
  /** Ids of queue entries this op must wait for. */
  dependsOn: string[];
  /** UTC ms, normalised from the source's unit. */
  createdAt: number | null;
  /** The unit the source used for createdAt (mixed units in one queue are a finding). */
  createdAtUnit: TimestampUnit | null;
  lastAttemptAt: number | null;
  nextAttemptAt: number | null;
  /** The device that queued the op, when the store says. */
  deviceId: string | null;
  /** Version the op was based on (conflict check), when known. */
  baseVersion: number | null;
  /** The op's logical update time (payload updated_at/updatedAt), UTC ms, when known. */
  updatedAt: number | null;
}

/** What a store says about one record, for orphan / lost-enqueue / status checks. */
export interface OutboxRecordState {
  store: string;
  /** Matches OutboxOp.recordTable. */
  table: string;
  recordId: string;
  /** A tombstone row (deleted_at set, `_status='deleted'`, sync_status `deleted`). */
  deleted: boolean;
  /** The store's own "has local changes" flag (`_status`, `isDirty`, sync_status pending), null when it has none. */
  dirty: boolean | null;
  /** The app-level sync status column/field, verbatim. */
  syncStatus: string | null;
  /** WatermelonDB's `_status`, verbatim. */
  localStatus: string | null;
  vectorClock: Record<string, number> | null;
  updatedAt: number | null;
}

export interface OutboxQueueInfo {
  store: string;
  queue: string;
  shape: OutboxShape;
  count: number;
  /** The store's WAL is missing although its header says WAL mode: the queue may be stale. */
  walMissing: boolean;
  /** Which tables (or slices) the queue's records were read from. */
  recordTables: string[];
}

export interface OutboxSnapshot {
  queues: OutboxQueueInfo[];
  /** Every queue entry, done ones included, in send order. */
  ops: OutboxOp[];
  records: OutboxRecordState[];
  /** The newest plausible timestamp seen in the queues and records (UTC ms): "now" for ages. */
  newestTimestamp: number | null;
  /** Second queues kept beside the outbox (a Zustand `pendingSync` in MMKV): linted, never replayed. */
  mirrors: MirrorQueue[];
}

/**
 * The vocabulary of a migration: legacy records as read from each layer, how a profile maps a raw
 * row onto the unified schema, the plan (final records, queue rows, decisions) and the report.
 * Everything here is plain data so the plan can be computed by a pure function, rendered as a table
 * or JSON, and stored verbatim in `migration_log`.
 */
import type { Finding } from '../findings.js';
import type { OutboxOp } from '../outbox/types.js';
import type { BulkCopy } from './bulk.js';

/** Where a copy of a record came from. Ties under `lww` go server → sqlite → mmkv → asyncstorage. */
export type Layer = 'server' | 'sqlite' | 'mmkv' | 'asyncstorage';
export const LAYER_RANK: Readonly<Record<Layer, number>> = { server: 0, sqlite: 1, mmkv: 2, asyncstorage: 3 };
/** The names truth files and reports use for a layer. */
export const LAYER_LABEL: Readonly<Record<Layer, string>> = {
  server: 'server',
  sqlite: 'device-sqlite',
  mmkv: 'device-mmkv',
  asyncstorage: 'device-asyncstorage',
};

export type ConflictRule = 'lww' | 'device-wins' | 'server-wins';
export type SyncStatus = 'pending' | 'synced' | 'conflict' | 'failed';
/** What the legacy store itself said about a record. */
export type LegacyStatus = 'pending' | 'synced' | 'deleted' | 'failed' | null;

/** `auto`: numbers < 1e11 are seconds, < 1e14 ms, larger µs; strings are ISO-8601 or numeric. */
export type TimeUnit = 'auto' | 's' | 'ms' | 'us' | 'iso';

/** How one raw row (SQLite row, store-array item, server document) maps onto the unified record. */
export interface FieldMapping {
  /** Raw field holding the device id (becomes `client_id`). */
  id: string;
  serverId?: string;
  userId?: string;
  createdAt?: string;
  updatedAt?: string;
  deletedAt?: string;
  version?: string;
  vectorClock?: string;
  /** Explicit renames raw field → domain column; other fields map by their snake_case name. */
  rename?: Record<string, string>;
  /** Units of timestamp fields (sync and domain), by raw field name; unlisted `*_at`/`*At` are `auto`. */
  timestamps?: Record<string, TimeUnit>;
  /** Raw fields (UI-only, legacy bookkeeping) that are not part of the record. */
  drop?: string[];
  /** Legacy status: a field and which of its values mean pending / deleted / failed (others: synced). */
  status?: {
    /** May be a dotted path (`syncMetadata.syncStatus`). */
    field: string;
    pending?: string[];
    deleted?: string[];
    failed?: string[];
    synced?: string[];
    /** A dotted path whose truthy value means "changed locally" (pending), e.g. `syncMetadata.isDirty`. */
    dirty?: string;
  };
  /** A truthy field meaning "the record is a tombstone" (WatermelonDB `_status='deleted'` is via status). */
  deletedFlag?: string;
  /** A dotted path whose non-null value means the server has seen the record (e.g. `syncMetadata.lastSyncedAt`). */
  syncedBefore?: string;
}

export type FieldValue = string | number | boolean | null | FieldValue[] | { [key: string]: FieldValue };

/** The sync columns every record carries, in unified form (timestamps in UTC ms). */
export interface SyncFields {
  collection: string;
  clientId: string;
  serverId: string | null;
  userId: string | null;
  createdAt: number | null;
  updatedAt: number | null;
  deletedAt: number | null;
  version: number | null;
  vectorClock: string | null;
}

/** One copy of one record, normalised to unified column names and values. */
export interface SourceRecord extends SyncFields {
  layer: Layer;
  /** Store path + table/key, e.g. `SQLite/mindtrack.db#moods`, `mmkv/mmkv.default#mood-store`. */
  source: string;
  /** Position inside its source (a later duplicate in one array wins). */
  index: number;
  legacyStatus: LegacyStatus;
  /** The source says the server has seen this record (a server id, or a last-synced mark). */
  knownToServer: boolean;
  /**
   * Domain columns keyed by column name: SQLite-ready values (text, numbers, 0/1, JSON text) for a
   * collection table; plain JSON values for a collection stored in `records`.
   */
  fields: Record<string, FieldValue>;
  /** True when every timestamp of this copy came in whole seconds (comparisons allow < 1 s). */
  secondsPrecision: boolean;
}

/** A raw row that could not become a record (no id, not an object); kept in the report with its value. */
export interface SetAside {
  collection: string;
  source: string;
  index: number;
  reason: string;
  raw: unknown;
}

/** A value kept as-is because the column cannot represent it (reported, never coerced silently). */
export interface FidelityIssue {
  collection: string;
  source: string;
  clientId: string;
  field: string;
  problem: string;
  raw: unknown;
}

/** Per (collection, source, field): how many values each normalisation decision applied to. */
export interface TimestampDecision {
  collection: string;
  source: string;
  field: string;
  decisions: Record<string, number>;
}

/** Everything one layer contributed for one collection. */
export interface SourceBatch {
  collection: string;
  layer: Layer;
  source: string;
  records: SourceRecord[];
}

/** Legacy sync metadata, normalised. */
export interface SyncMetaEntry {
  collection: string;
  cursor: string | null;
  lastSyncAt: number | null;
  initialSyncComplete: boolean;
}

export interface KeyValueKey {
  store: string;
  key: string;
  /** `data`: migrated into SQLite, safe to remove after verification; `config`: stays. */
  role: 'data' | 'config';
  collections: string[];
}

export interface SourceFingerprint {
  path: string;
  kind: string;
  sha256: string;
  sizeBytes: number;
}

/** What a profile read from a snapshot: the only input of `planMigration`. */
export interface LegacyInput {
  profile: string;
  /** Why this profile (auto-detection evidence or "given with --profile"). */
  profileReason: string;
  collections: string[];
  /** Collections whose server copy is known (a server export was read): sync status is derived from it. */
  serverCollections: string[];
  batches: SourceBatch[];
  /** Device-only synced rows copied by INSERT … SELECT (see bulk.ts); counted, not listed. */
  bulk: BulkCopy[];
  setAside: SetAside[];
  fidelity: FidelityIssue[];
  timestampDecisions: TimestampDecision[];
  ops: OutboxOp[];
  syncMeta: SyncMetaEntry[];
  keyValueKeys: KeyValueKey[];
  sources: SourceFingerprint[];
  findings: Finding[];
  /** Newest plausible timestamp in the inputs (UTC ms): the migration's clock unless --now is given. */
  newestTimestamp: number | null;
}

export interface PlanOptions {
  conflict: ConflictRule;
  /** UTC ms; defaults to the inputs' newest timestamp. */
  nowMs?: number;
}

/** The record as it will be written: unified column name → value. */
export interface FinalRecord extends SyncFields {
  syncStatus: SyncStatus;
  fields: Record<string, FieldValue>;
  rowChecksum: string;
}

export interface RecordDecision {
  collection: string;
  clientId: string;
  /** Layer label of the copy that became the final record, or `equal` (every copy agrees with the server). */
  winner: string;
  reason: string;
  /** Which layers held a copy, with their normalised updated/deleted time. */
  candidates: Array<{ layer: string; source: string; updatedAt: number | null; deleted: boolean }>;
  /** Domain/sync fields whose values differed between the copies. */
  differingFields: string[];
  syncStatus: SyncStatus;
  syncStatusReason: string;
  deleted: boolean;
}

export interface DuplicateMerge {
  collection: string;
  layer: string;
  source: string;
  /** The client id kept. */
  kept: string;
  /** Client ids (or array positions) folded into it. */
  merged: string[];
  reason: string;
}

export type QueueStatus = 'pending' | 'in_flight' | 'done' | 'failed' | 'dead';

export interface QueueRow {
  id: string;
  seq: number;
  collection: string;
  recordClientId: string;
  op: 'create' | 'update' | 'delete';
  payload: string;
  idempotencyKey: string;
  status: QueueStatus;
  statusReason: string | null;
  attempts: number;
  maxAttempts: number | null;
  nextAttemptAt: number | null;
  lastError: string | null;
  dependsOn: string | null;
  createdAt: number | null;
  /** Where it came from: a legacy queue entry (`store#queue:id`) or `backfill`. */
  origin: string;
}

export interface CollectionCounts {
  /** Source records read, per layer label. */
  byLayer: Record<string, number>;
  /** Source records read, all layers. */
  in: number;
  /** Final rows written (live + tombstones). */
  migrated: number;
  /** Source copies folded into another copy of the same record (cross-layer or in-layer duplicates). */
  merged: number;
  setAside: number;
  tombstones: number;
  conflicts: number;
  pending: number;
  winners: Record<string, number>;
  opsCarried: number;
  opsBackfilled: number;
  opsSuperseded: number;
  opsDead: number;
}

export interface MigrationPlan {
  profile: string;
  profileReason: string;
  conflict: ConflictRule;
  nowMs: number;
  nowSource: 'option' | 'snapshot' | 'none';
  collections: string[];
  records: FinalRecord[];
  bulk: BulkCopy[];
  decisions: RecordDecision[];
  duplicates: DuplicateMerge[];
  queue: QueueRow[];
  syncMeta: SyncMetaEntry[];
  counts: Record<string, CollectionCounts>;
  /**
   * Per collection: the order-independent digest (integrity module) of the records planned here;
   * bulk-copied rows are added while they are written (apply returns the complete digests).
   */
  digests: Record<string, string>;
  setAside: SetAside[];
  fidelity: FidelityIssue[];
  timestampDecisions: TimestampDecision[];
  keyValueKeys: KeyValueKey[];
  sources: SourceFingerprint[];
  findings: Finding[];
}

/**
 * The `inspect` report: the contract behind both the table output and `--json` (camelCase fields,
 * rendered from this one object so they cannot drift). Changing a field is a breaking change of the
 * JSON schema (`schemaVersion`).
 */
import type { Finding } from '../findings.js';
import type { CrossLayerPair, KeyValueStoreSummary } from './cross-layer.js';
import type { SqliteFlavour, FlavourMatch, DrizzleMigration } from '../readers/sqlite-flavour.js';
import type { WalInfo } from '../readers/sqlite-wal.js';
import type { WalTableDiff } from '../readers/sqlite-wal-diff.js';
import type { Snapshot, StoreKind } from '../snapshot/types.js';

export type { SqliteFlavour, FlavourMatch, DrizzleMigration, WalInfo, WalTableDiff };

export interface InspectReport {
  /** `problems` when any finding has severity error (exit 1). */
  verdict: 'ok' | 'problems';
  snapshot: { input: string; container: Snapshot['container'] };
  stores: StoreReport[];
  /**
   * The newest plausible timestamp found in the snapshot's data: the "now" of the device when the
   * files were pulled. Ages are measured from it, never from the wall clock.
   */
  newestTimestamp: TimestampSource | null;
  /** Records held both in a SQLite table and in an MMKV/AsyncStorage collection (inspect/cross-layer.ts). */
  crossLayer: CrossLayerPair[];
  findings: Finding[];
}

export interface TimestampSource {
  ms: number;
  iso: string;
  /** `<store> <table>.<column>` */
  source: string;
}

export interface StoreReport {
  kind: StoreKind;
  path: string;
  sizeBytes: number;
  sha256: string;
  /** Companion files found beside the store (`wal`, `shm`, `journal`, `crc`, `manifest`). */
  companions: string[];
  flavours: FlavourMatch[];
  /** Sync queues / outboxes in this store (SQLite tables, redux-persist `syncQueue` arrays). */
  queues: QueueReport[];
  /** Present for SQLite stores that could be opened. */
  sqlite?: SqliteReport;
  /** MMKV / AsyncStorage stores: key counts, integrity, decoded collections (inspect/cross-layer.ts). */
  keyValue?: KeyValueStoreSummary;
}

export interface SqliteReport {
  userVersion: number;
  journalMode: string;
  headerSaysWal: boolean;
  pageSize: number;
  pageCount: number;
  encoding: string;
  quickCheck: string[];
  tables: TableReport[];
  statusDistributions: StatusDistribution[];
  /** Structure of the -wal file; null when there is none. */
  wal: WalInfo | null;
  /** Rows that exist only because of the WAL, per table with changes; null when there is no WAL. */
  walOnlyRows: WalTableDiff[] | null;
  drizzleMigrations: DrizzleMigration[] | null;
}

export interface TableReport {
  name: string;
  rowCount: number | null;
  primaryKey: string[];
  columns: Array<{ name: string; type: string; notNull: boolean }>;
  indexes: Array<{ name: string; unique: boolean; columns: string[] }>;
}

export interface StatusDistribution {
  table: string;
  column: string;
  /** value → row count; NULL is counted under `(null)`. */
  counts: Record<string, number>;
}

export interface QueueReport {
  /** A table name, or `persist:<key>/<slice>.syncQueue` for a redux-persist slice. */
  queue: string;
  /** The queue layout, as the outbox module names it (drizzle, hybrid, watermelondb, …). */
  shape: string;
  total: number;
  /** Ops not yet delivered (pending, in flight, failed). */
  depth: number;
  /** Status as stored (`completed`, `in_progress`…); the unified status when the queue has none. */
  byStatus: Record<string, number>;
  /** Undelivered ops that failed or carry an error. */
  failed: number;
  /** The undelivered op with the oldest creation time. */
  oldestPending: PendingOp | null;
}

export interface PendingOp {
  id: string;
  createdAtMs: number | null;
  /** newestTimestamp − createdAt, in ms; null when either is unknown. */
  ageMs: number | null;
  operation: string;
  collection: string;
  recordId: string | null;
  status: string;
  attempts: number;
}

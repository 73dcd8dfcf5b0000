/**
 * What verify needs from anything that holds records: its collections, a bucketed digest per
 * collection, the record hashes inside chosen buckets, and full records for chosen ids. Those
 * three calls are the three rounds of the top-down comparison, so a source never has to hold a
 * whole collection in memory. `streamingSource` derives all three from one `scan()` for sources
 * that can only be read front to back (a ZIP, a paginated backend).
 */
import { canonicalRecord, type CanonicalOptions, type CanonicalRules, type LogicalRecord } from './canonical.js';
import { DigestAccumulator } from './digest.js';
import type { RecordHasher } from './record-hash.js';
import type { ScanPool } from './scan-pool.js';

export type SourceKind = 'legacy-snapshot' | 'unified-db' | 'sqlite' | 'convex-export' | 'backend';

export interface SourceInfo {
  kind: SourceKind;
  /** What the user passed (path or URL), for reports. */
  label: string;
  /**
   * Device sources (a snapshot, the unified database) hold only the app's collections; server
   * sources also hold server-only tables (users, the idempotency ledger), which are not compared
   * against a device source.
   */
  side: 'device' | 'server';
  /** True when the source keeps int64 apart from float64 (Convex); both must for `typed` numbers. */
  typedNumbers: boolean;
  /** A short description of how the source was mapped (profile, adapter), for reports. */
  mapping: string;
}

export interface ScanContext {
  hasher: RecordHasher;
  rules: CanonicalRules;
  /** The serialisable form of `rules`, for worker threads. */
  options: CanonicalOptions & { numbers: 'value' | 'typed'; nulls: 'null-is-absent' | 'distinct'; exclude: string[] };
  /** Worker threads SQLite scans may use; absent: scans run in-process. */
  pool?: ScanPool;
}

/** An outbox op still waiting to reach the server, as far as verify needs it. */
export interface PendingOp {
  collection: string;
  recordId: string;
  op: 'create' | 'update' | 'delete' | null;
  /** Where it was queued: store path and queue, for reports. */
  queue: string;
}

export interface RecordSource {
  readonly info: SourceInfo;
  /** Logical collection names (snake_case), sorted. */
  collections(): Promise<string[]>;
  digest(collection: string, ctx: ScanContext): Promise<DigestAccumulator>;
  /** id → record hash for every record whose id falls in one of `buckets`. */
  hashes(collection: string, buckets: ReadonlySet<number>, ctx: ScanContext): Promise<Map<string, bigint>>;
  /** The logical records with these ids (missing ids are simply absent from the map). */
  records(collection: string, ids: ReadonlySet<string>, ctx: ScanContext): Promise<Map<string, LogicalRecord>>;
  /** Open outbox ops (device sources with a queue); empty otherwise. */
  pendingOps(): Promise<PendingOp[]>;
  close(): Promise<void>;
}

/**
 * A source built on a front-to-back scan. Each round re-reads the source; only the records of
 * mismatching buckets (round 2) and of differing ids (round 3) are kept.
 */
export function streamingSource(
  info: SourceInfo,
  listCollections: () => Promise<string[]>,
  scan: (collection: string) => AsyncIterable<LogicalRecord>,
  extra: { pendingOps?: () => Promise<PendingOp[]>; close?: () => Promise<void> } = {},
): RecordSource {
  return {
    info,
    collections: listCollections,
    async digest(collection, ctx) {
      const acc = new DigestAccumulator();
      for await (const r of scan(collection)) acc.add(ctx.hasher.bucketOf(r.id), ctx.hasher.hash(canonicalRecord(r, ctx.rules)));
      return acc;
    },
    async hashes(collection, buckets, ctx) {
      const out = new Map<string, bigint>();
      for await (const r of scan(collection)) {
        if (!buckets.has(ctx.hasher.bucketOf(r.id))) continue;
        const h = ctx.hasher.hash(canonicalRecord(r, ctx.rules));
        const prev = out.get(r.id);
        // a duplicated id keeps both copies in its hash, so it still shows up as a difference
        out.set(r.id, prev === undefined ? h : BigInt.asUintN(64, prev + h));
      }
      return out;
    },
    async records(collection, ids) {
      const out = new Map<string, LogicalRecord>();
      for await (const r of scan(collection)) if (ids.has(r.id)) out.set(r.id, r);
      return out;
    },
    pendingOps: extra.pendingOps ?? (async () => []),
    close: extra.close ?? (async () => {}),
  };
}

/**
 * Reading a snapshot through a profile into a `LegacyInput`: the only step of a migration that
 * reads the user's data (through the private copies `openSnapshot` made), and the only input the
 * pure planner sees. It picks the profile (auto by fingerprint, with the evidence), reads every
 * declared source, the outbox queues and the server export, and fingerprints every source file.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Finding } from '../findings.js';
import { readOutbox } from '../outbox/read-outbox.js';
import { walFileMissing } from '../readers/sqlite.js';
import { OPEN_STATUSES, type OutboxOp } from '../outbox/types.js';
import type { Snapshot } from '../snapshot/types.js';
import { NormaliseLog } from './normalise.js';
import { fingerprintSnapshot } from './profiles/fingerprint.js';
import { chooseProfile } from './profiles/index.js';
import { findStore, readDeviceSource, readServerSources, StoreCache, type SourceSpec } from './profiles/sources.js';
import {
  bulkShape,
  findTableFacts,
  findGeneralRowids,
  findTypeFailures,
  generalWhere,
  planBulkCopy,
  settleBulkCounts,
  type BulkCopy,
  type BulkTableFacts,
  type BulkExclusion,
  type BulkShape,
} from './bulk.js';
import type { ScanContext } from '../integrity/source.js';
import { hashBulkRows, withoutGeneralRows, type AheadRange } from './apply.js';
import { layoutOf } from './rows.js';
import type { LegacyInput, SourceBatch, SourceFingerprint } from './types.js';

export interface LoadOptions {
  /** `auto`, a built-in profile name, or a JSON profile file. */
  profile: string;
  /** A Convex export ZIP given with --server (else the one inside the snapshot, if any). */
  server?: string;
  /** Copy qualifying device-only rows with INSERT … SELECT (default true; tests compare both paths). */
  bulk?: boolean;
  /** Worker threads (and rules) for finding the rows the bulk copy leaves to the general path. */
  scan?: ScanContext;
  /** Hash the bulk rows on the scan workers while the rest is read and planned (not for a dry run). */
  hashAhead?: boolean;
}

export interface LoadedLegacy {
  input: LegacyInput;
  aliases: Record<string, string>;
  /** Each bulk copy's checksums being computed ahead, range by range (`hashAhead`, when they can be). */
  ahead: Map<BulkCopy, AheadRange[]>;
}

export async function loadLegacy(snapshot: Snapshot, opts: LoadOptions): Promise<LoadedLegacy> {
  const cache = new StoreCache(snapshot);
  try {
    const fp = fingerprintSnapshot(snapshot, cache);
    const { profile, reason } = chooseProfile(opts.profile, fp, snapshot.input);
    const build = profile.build(fp, cache);
    const log = new NormaliseLog();
    const batches: SourceBatch[] = [];
    const bulk: BulkCopy[] = [];
    const ahead = new Map<BulkCopy, AheadRange[]>();
    const serverSpecs: Array<Extract<SourceSpec, { kind: 'convex' }>> = [];
    const serverPath = opts.server ?? snapshot.stores.find((s) => s.kind === 'convex-export')?.localPath;
    // the bulk copies' scans (repeated ids, totals, rows failing the type checks) need only the SQLite
    // tables, so they start first and run on the scan workers while the other sources are read
    const early = new Map<
      SourceSpec,
      { shape: BulkShape; facts: Promise<BulkTableFacts>; failures: Promise<number[] | null> | null; hashes: AheadRange[] | undefined }
    >();
    const sqliteOnes = build.specs.filter((s): s is Extract<SourceSpec, { kind: 'sqlite' }> => s.kind === 'sqlite');
    for (const spec of sqliteOnes) {
      const single = sqliteOnes.filter((s) => s.collection === spec.collection).length === 1;
      if (opts.bulk === false || !single || build.statusFromQueue.includes(spec.collection)) continue;
      try {
        const db = cache.db(spec.store);
        const shape = bulkShape(db, { ...spec, localPath: findStore(snapshot, spec.store).localPath }, layoutOf(spec.collection));
        if (shape === null) continue;
        const facts = findTableFacts(db, shape, opts.scan);
        const failures = opts.scan === undefined ? null : findTypeFailures(db, shape, opts.scan);
        // every row is hashed, the general path's taken out once known (they are few)
        const hashes = opts.scan === undefined || opts.hashAhead !== true ? undefined : hashBulkRows(shape, opts.scan);
        // awaited below, or dropped unread for a collection the server export turns out to hold
        facts.catch(() => undefined);
        failures?.catch(() => undefined);
        early.set(spec, { shape, facts, failures, hashes });
      } catch {
        // the general path meets the same problem in its turn, and reports it there
      }
    }
    const outbox = readOutbox(snapshot, { records: false });
    const ops: OutboxOp[] = [...outbox.ops];
    for (const e of build.extraOps) ops.push({ ...e, position: ops.length });
    // key-value and server copies first: they decide which SQLite rows can be copied in bulk
    const sqliteSpecs: Array<Extract<SourceSpec, { kind: 'sqlite' }>> = [];
    for (const spec of build.specs) {
      if (spec.kind === 'convex') serverSpecs.push(spec);
      else if (spec.kind === 'sqlite') sqliteSpecs.push(spec);
      else batches.push(readDeviceSource(spec, cache, log));
    }
    const serverCollections: string[] = [];
    const findings: Finding[] = [...snapshot.findings];
    const sources: SourceFingerprint[] = snapshot.stores.map((s) => ({ path: s.path, kind: s.kind, sha256: s.sha256, sizeBytes: s.sizeBytes }));
    if (serverPath !== undefined && serverSpecs.length > 0) {
      const server = await readServerSources(serverPath, serverSpecs, log);
      batches.push(...server);
      serverCollections.push(...new Set(server.map((b) => b.collection)));
      if (opts.server !== undefined) {
        sources.push({ path: basename(opts.server), kind: 'convex-export', sha256: sha256File(opts.server), sizeBytes: statSync(opts.server).size });
      }
    }
    for (const spec of sqliteSpecs) {
      const e = early.get(spec);
      const plan =
        e !== undefined && !serverCollections.includes(spec.collection)
          ? planBulkCopy(e.shape, exclusionFor(spec.collection, batches, ops, build.aliases), await e.facts)
          : null;
      if (plan === null) {
        batches.push(readDeviceSource(spec, cache, log));
        continue;
      }
      const failures = e?.failures ?? null;
      const general = failures === null || opts.scan === undefined ? null : await findGeneralRowids(cache.db(spec.store), plan, failures, opts.scan);
      const where =
        general === null
          ? { sql: generalWhere(plan), params: plan.params }
          : { sql: 'rowid IN (SELECT value FROM json_each(?))', params: [JSON.stringify(general)] };
      batches.push(readDeviceSource(spec, cache, log, where, (rows, rowids) => settleBulkCounts(plan, rows, rowids)));
      if (plan.count === 0) continue;
      bulk.push(plan);
      const ranges = e?.hashes;
      if (ranges !== undefined && plan.generalRowids !== null) {
        const generalRowids = JSON.parse(plan.generalRowids) as number[];
        ahead.set(
          plan,
          ranges.map((r) => ({ ...r, hashes: r.hashes.then((h) => (h === undefined ? undefined : withoutGeneralRows(h, generalRowids))) })),
        );
      }
      const source = `${spec.store}#${spec.table}`;
      for (const [field, n] of Object.entries(plan.timestampCounts)) if (n > 0) log.decide(spec.collection, source, field, 'ms detected (bulk copy)', n);
    }
    for (const { path: store } of snapshot.stores.filter(walFileMissing)) {
      findings.push({
        code: 'MIGRATE_WAL_MISSING',
        severity: 'warn',
        message: 'the database says WAL mode but its -wal is missing: the newest writes are gone; migrated what the main file holds',
        store,
      });
    }
    applyQueueStatus(batches, build.statusFromQueue, ops, build.aliases);

    const collections = [...new Set(build.specs.filter((s) => s.kind !== 'convex').map((s) => s.collection))].sort();
    findings.push(...cache.findings);
    return {
      aliases: build.aliases,
      ahead,
      input: {
        profile: profile.name,
        profileReason: reason,
        collections,
        serverCollections: serverCollections.filter((c) => collections.includes(c)).sort(),
        batches: batches.filter((b) => collections.includes(b.collection)),
        bulk,
        setAside: log.setAside,
        fidelity: log.fidelity,
        timestampDecisions: log.timestampDecisions(),
        ops,
        syncMeta: build.syncMeta,
        keyValueKeys: build.keyValueKeys,
        sources: sources.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
        findings,
        newestTimestamp: newest(batches, ops, bulk),
      },
    };
  } finally {
    cache.close();
  }
}

/** For layouts without a status column: pending when an open op targets the record, else synced. */
function applyQueueStatus(batches: SourceBatch[], collections: string[], ops: OutboxOp[], aliases: Record<string, string>): void {
  if (collections.length === 0) return;
  const open = new Set<string>();
  for (const op of ops) {
    if (!OPEN_STATUSES.has(op.status) || op.recordId === null) continue;
    const c = aliases[op.recordTable ?? op.collection] ?? op.recordTable ?? op.collection;
    open.add(`${c}\u0000${op.recordId}`);
  }
  for (const b of batches) {
    if (!collections.includes(b.collection) || b.layer === 'server') continue;
    for (const r of b.records) {
      if (r.legacyStatus !== null) continue;
      r.legacyStatus = open.has(`${b.collection}\u0000${r.clientId}`) ? (r.deletedAt !== null ? 'deleted' : 'pending') : 'synced';
    }
  }
}

/** Ids and server ids a collection's bulk copy must leave to the general path. */
function exclusionFor(collection: string, batches: SourceBatch[], ops: OutboxOp[], aliases: Record<string, string>): BulkExclusion {
  const ids = new Set<string>();
  const serverIds = new Set<string>();
  for (const b of batches) {
    if (b.collection !== collection) continue;
    for (const r of b.records) {
      ids.add(r.clientId);
      if (r.serverId !== null) serverIds.add(r.serverId);
    }
  }
  // any queue entry about a record (open or not) needs the record in the plan to be reconciled
  for (const op of ops) {
    const c = aliases[op.recordTable ?? op.collection] ?? op.recordTable ?? op.collection;
    if (c === collection && op.recordId !== null) ids.add(op.recordId);
  }
  return { ids, serverIds };
}

function newest(batches: SourceBatch[], ops: OutboxOp[], bulk: BulkCopy[]): number | null {
  let max: number | null = null;
  const see = (t: number | null): void => {
    if (t !== null && (max === null || t > max)) max = t;
  };
  for (const b of bulk) see(b.newestMs);
  for (const b of batches) {
    for (const r of b.records) {
      see(r.updatedAt);
      see(r.deletedAt);
      see(r.createdAt);
    }
  }
  for (const op of ops) see(op.createdAt);
  return max;
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

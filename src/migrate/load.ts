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
import { OPEN_STATUSES, type OutboxOp } from '../outbox/types.js';
import type { Snapshot } from '../snapshot/types.js';
import { NormaliseLog } from './normalise.js';
import { fingerprintSnapshot } from './profiles/fingerprint.js';
import { chooseProfile } from './profiles/index.js';
import { readDeviceSource, readServerSources, StoreCache, type SourceSpec } from './profiles/sources.js';
import type { LegacyInput, SourceBatch, SourceFingerprint } from './types.js';

export interface LoadOptions {
  /** `auto`, a built-in profile name, or a JSON profile file. */
  profile: string;
  /** A Convex export ZIP given with --server (else the one inside the snapshot, if any). */
  server?: string;
}

export interface LoadedLegacy {
  input: LegacyInput;
  aliases: Record<string, string>;
}

export async function loadLegacy(snapshot: Snapshot, opts: LoadOptions): Promise<LoadedLegacy> {
  const cache = new StoreCache(snapshot);
  try {
    const fp = fingerprintSnapshot(snapshot, cache);
    const { profile, reason } = chooseProfile(opts.profile, fp, snapshot.input);
    const build = profile.build(fp, cache);
    const log = new NormaliseLog();
    const batches: SourceBatch[] = [];
    const serverSpecs: Array<Extract<SourceSpec, { kind: 'convex' }>> = [];
    for (const spec of build.specs) {
      if (spec.kind === 'convex') serverSpecs.push(spec);
      else batches.push(readDeviceSource(spec, cache, log));
    }
    const findings: Finding[] = [...snapshot.findings];
    const sources: SourceFingerprint[] = snapshot.stores.map((s) => ({ path: s.path, kind: s.kind, sha256: s.sha256, sizeBytes: s.sizeBytes }));
    const serverPath = opts.server ?? snapshot.stores.find((s) => s.kind === 'convex-export')?.localPath;
    const serverCollections: string[] = [];
    if (serverPath !== undefined && serverSpecs.length > 0) {
      const server = await readServerSources(serverPath, serverSpecs, log);
      batches.push(...server);
      serverCollections.push(...new Set(server.map((b) => b.collection)));
      if (opts.server !== undefined) {
        sources.push({ path: basename(opts.server), kind: 'convex-export', sha256: sha256File(opts.server), sizeBytes: statSync(opts.server).size });
      }
    }
    const outbox = readOutbox(snapshot);
    for (const q of outbox.queues) {
      if (q.walMissing) {
        findings.push({
          code: 'MIGRATE_WAL_MISSING',
          severity: 'warn',
          message: 'the database says WAL mode but its -wal is missing: the newest writes are gone; migrated what the main file holds',
          store: q.store,
        });
      }
    }
    const ops: OutboxOp[] = [...outbox.ops];
    for (const e of build.extraOps) ops.push({ ...e, position: ops.length });
    applyQueueStatus(batches, build.statusFromQueue, ops, build.aliases);

    const collections = [...new Set(build.specs.filter((s) => s.kind !== 'convex').map((s) => s.collection))].sort();
    findings.push(...cache.findings);
    return {
      aliases: build.aliases,
      input: {
        profile: profile.name,
        profileReason: reason,
        collections,
        serverCollections: serverCollections.filter((c) => collections.includes(c)).sort(),
        batches: batches.filter((b) => collections.includes(b.collection)),
        setAside: log.setAside,
        fidelity: log.fidelity,
        timestampDecisions: log.timestampDecisions(),
        ops,
        syncMeta: build.syncMeta,
        keyValueKeys: build.keyValueKeys,
        sources: sources.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
        findings,
        newestTimestamp: newest(batches, ops),
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

function newest(batches: SourceBatch[], ops: OutboxOp[]): number | null {
  let max: number | null = null;
  const see = (t: number | null): void => {
    if (t !== null && (max === null || t > max)) max = t;
  };
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

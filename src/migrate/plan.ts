/**
 * `planMigration`: the pure heart of migrate. From what a profile read (records per layer, queue
 * entries, sync metadata) it computes the final record of every collection, the reconciled queue,
 * row checksums, per-collection digests and every decision, without touching a file or the clock:
 * the migration's timestamp is `--now` or the newest timestamp found in the inputs. Equal inputs
 * give an equal plan, which is what makes the written database byte-identical on every run.
 */
import type { Finding } from '../findings.js';
import type { RecordHasher } from '../integrity/index.js';
import { mergeCollection, type MergedRecord, type RequiredOp } from './merge.js';
import { planQueue, recordKey } from './queue.js';
import { checksumOf, CollectionDigester, contentValues, encoderOf, layoutOf } from './rows.js';
import { LAYER_LABEL, type CollectionCounts, type FinalRecord, type LegacyInput, type MigrationPlan, type PlanOptions, type SourceRecord, type SyncStatus } from './types.js';

export interface PlanExtras {
  /** Queue collection names that mean a profile collection (`pin` → `pins`). */
  aliases?: Readonly<Record<string, string>>;
}

export function planMigration(input: LegacyInput, opts: PlanOptions, hasher: RecordHasher, extras: PlanExtras = {}): MigrationPlan {
  const collections = [...input.collections].sort();
  const byCollection = new Map<string, SourceRecord[]>(collections.map((c) => [c, []]));
  for (const b of input.batches) {
    const list = byCollection.get(b.collection);
    if (list === undefined) byCollection.set(b.collection, [...b.records]);
    else for (const r of b.records) list.push(r);
  }
  const serverKnown = new Set(input.serverCollections);
  const counts: Record<string, CollectionCounts> = {};
  const records = new Map<string, { final: FinalRecord; requiredOp: RequiredOp; merged: MergedRecord }>();
  const decisions: MigrationPlan['decisions'] = [];
  const duplicates: MigrationPlan['duplicates'] = [];

  for (const [collection, list] of [...byCollection.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const m = mergeCollection(list, { rule: opts.conflict, serverKnown: serverKnown.has(collection) });
    duplicates.push(...m.duplicates);
    const c = emptyCounts();
    for (const r of list) c.byLayer[LAYER_LABEL[r.layer]] = (c.byLayer[LAYER_LABEL[r.layer]] ?? 0) + 1;
    c.setAside = input.setAside.filter((s) => s.collection === collection).length;
    const bulk = input.bulk.filter((b) => b.collection === collection).reduce((n, b) => n + b.count, 0);
    if (bulk > 0) {
      c.byLayer[LAYER_LABEL.sqlite] = (c.byLayer[LAYER_LABEL.sqlite] ?? 0) + bulk;
      c.winners[LAYER_LABEL.sqlite] = bulk;
    }
    c.in = list.length + c.setAside + bulk;
    c.migrated = m.merged.length + bulk;
    c.merged = m.foldedCount;
    for (const mr of m.merged) {
      const final: FinalRecord = { ...mr.final, syncStatus: mr.decision.syncStatus, rowChecksum: '' };
      records.set(recordKey(collection, final.clientId), { final, requiredOp: mr.requiredOp, merged: mr });
      decisions.push(mr.decision);
    }
    counts[collection] = c;
  }

  const queue = planQueue({
    ops: input.ops,
    records,
    collections: new Set(byCollection.keys()),
    aliases: extras.aliases ?? {},
    serverKnown,
  });
  // what the queue revealed about a record overrides the status the merge derived
  const overrides: Array<[Set<string>, SyncStatus, string]> = [
    [queue.conflictRecords, 'conflict', 'a queued change has a vector clock concurrent with the record: both sides changed'],
    [queue.failedRecords, 'failed', 'its queued op has spent its retry budget'],
  ];
  for (const [keys, status, reason] of overrides) {
    for (const k of keys) {
      const rec = records.get(k);
      if (rec === undefined) continue;
      rec.final.syncStatus = status;
      rec.merged.decision.syncStatus = status;
      rec.merged.decision.syncStatusReason = reason;
    }
  }

  // checksums and digests, collection by collection, records by client id
  const digests: Record<string, string> = {};
  const finals: FinalRecord[] = [];
  for (const collection of [...byCollection.keys()].sort()) {
    const layout = layoutOf(collection);
    const encode = encoderOf(layout);
    const digester = new CollectionDigester(hasher);
    const c = counts[collection]!;
    for (const mr of [...records.values()].filter((r) => r.final.collection === collection)) {
      const f = mr.final;
      const canonical = encode(f.clientId, contentValues(layout, f));
      digester.add(f.clientId, canonical);
      f.rowChecksum = checksumOf(hasher, canonical);
      finals.push(f);
      if (f.deletedAt !== null) c.tombstones++;
      if (f.syncStatus === 'conflict') c.conflicts++;
      if (f.syncStatus === 'pending') c.pending++;
      const w = mr.merged.decision.winner;
      c.winners[w] = (c.winners[w] ?? 0) + 1;
    }
    digests[collection] = JSON.stringify(digester.digest());
  }
  for (const row of queue.rows) {
    const c = counts[row.collection];
    if (c === undefined) continue;
    if (row.origin === 'backfill') c.opsBackfilled++;
    else c.opsCarried++;
    if (row.statusReason?.startsWith('superseded') === true) c.opsSuperseded++;
    if (row.status === 'dead') c.opsDead++;
  }

  const findings = [...input.findings, ...summaryFindings(counts, input, duplicates.length)];
  const strayDead = queue.rows.filter((r) => r.status === 'dead' && counts[r.collection] === undefined).length;
  if (strayDead > 0) {
    findings.push({ code: 'MIGRATE_OPS_DEAD', severity: 'warn', message: `${strayDead} queue entr(ies) for collections this profile does not know kept as dead`, ref: '(unknown collection)' });
  }
  const nowSource = opts.nowMs !== undefined ? 'option' : input.newestTimestamp !== null ? 'snapshot' : 'none';
  return {
    profile: input.profile,
    profileReason: input.profileReason,
    conflict: opts.conflict,
    nowMs: opts.nowMs ?? input.newestTimestamp ?? 0,
    nowSource,
    collections: [...byCollection.keys()].sort(),
    records: finals,
    bulk: input.bulk,
    decisions,
    duplicates,
    queue: queue.rows,
    syncMeta: [...input.syncMeta].sort((a, b) => (a.collection < b.collection ? -1 : a.collection > b.collection ? 1 : 0)),
    counts,
    digests,
    setAside: input.setAside,
    fidelity: input.fidelity,
    timestampDecisions: input.timestampDecisions,
    keyValueKeys: input.keyValueKeys,
    sources: input.sources,
    findings,
  };
}

/** One finding per collection and kind of problem; the per-record detail stays in the report. */
function summaryFindings(counts: Record<string, CollectionCounts>, input: LegacyInput, duplicateCount: number): Finding[] {
  const out: Finding[] = [];
  for (const [collection, c] of Object.entries(counts)) {
    const fidelity = input.fidelity.filter((f) => f.collection === collection).length;
    if (c.setAside > 0) out.push({ code: 'MIGRATE_SET_ASIDE', severity: 'warn', message: `${c.setAside} source row(s) could not be records; kept in migration_log.report`, ref: collection });
    if (fidelity > 0) out.push({ code: 'MIGRATE_TYPE_FIDELITY', severity: 'warn', message: `${fidelity} value(s) kept as they were or converted (see the type-fidelity section)`, ref: collection });
    if (c.conflicts > 0) out.push({ code: 'MIGRATE_CONFLICT', severity: 'warn', message: `${c.conflicts} record(s) the rule could not decide: sync_status=conflict`, ref: collection });
    if (c.opsDead > 0) out.push({ code: 'MIGRATE_OPS_DEAD', severity: 'warn', message: `${c.opsDead} queue entr(ies) kept as dead with the reason, never executed`, ref: collection });
  }
  if (duplicateCount > 0) out.push({ code: 'MIGRATE_DUPLICATES_MERGED', severity: 'info', message: `${duplicateCount} group(s) of duplicate copies inside one layer or sharing a server id were merged` });
  return out;
}

function emptyCounts(): CollectionCounts {
  return {
    byLayer: {},
    in: 0,
    migrated: 0,
    merged: 0,
    setAside: 0,
    tombstones: 0,
    conflicts: 0,
    pending: 0,
    winners: {},
    opsCarried: 0,
    opsBackfilled: 0,
    opsSuperseded: 0,
    opsDead: 0,
  };
}

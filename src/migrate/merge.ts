/**
 * Merging the copies of one record into its final state. First duplicates inside one layer are
 * folded (an id twice in a store array: the later entry; two rows sharing a server id: the newer
 * one), then the copies from different layers are linked by client id (or server id) and one wins by
 * the declared rule. Deletes count at their `deleted_at`. The sync status is derived from how the
 * final state relates to the server's copy; every step is recorded as a decision, nothing is
 * dropped: a folded copy is counted as merged.
 */
import {
  LAYER_LABEL,
  LAYER_RANK,
  type ConflictRule,
  type DuplicateMerge,
  type Layer,
  type RecordDecision,
  type SourceRecord,
  type SyncStatus,
} from './types.js';
import { clocksConcurrent } from './vector-clock.js';
import { canonicalJson } from '../outbox/idempotency.js';

export type RequiredOp = 'create' | 'update' | 'delete' | null;

export interface MergedRecord {
  winner: SourceRecord;
  final: Omit<SourceRecord, 'layer' | 'source' | 'index' | 'legacyStatus' | 'secondsPrecision' | 'knownToServer'>;
  decision: RecordDecision;
  /** The op the server still needs so it reaches the final state (null when none). */
  requiredOp: RequiredOp;
}

export interface CollectionMerge {
  merged: MergedRecord[];
  duplicates: DuplicateMerge[];
  /** Copies folded into another copy of the same record (in-layer and cross-layer). */
  foldedCount: number;
}

/** Effective time of a copy: a tombstone counts at its deletion time. */
function effectiveTime(r: SourceRecord): number | null {
  return r.deletedAt ?? r.updatedAt;
}

/** Items grouped by a key, groups and their items in first-seen order. */
function groupBy<T, K>(items: Iterable<T>, key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [item]);
    else g.push(item);
  }
  return groups;
}

/** Folds duplicates inside one source: same client id (later entry wins), same server id (newer wins). */
function foldInLayer(records: SourceRecord[], duplicates: DuplicateMerge[]): SourceRecord[] {
  const out: SourceRecord[] = [];
  for (const [source, list] of groupBy(records, (r) => r.source)) {
    const byId = groupBy(list, (r) => r.clientId);
    const unique: SourceRecord[] = [];
    for (const [id, group] of byId) {
      const kept = group.reduce((a, b) => (b.index > a.index ? b : a));
      unique.push(kept);
      if (group.length > 1) {
        duplicates.push({
          collection: kept.collection,
          layer: LAYER_LABEL[kept.layer],
          source,
          kept: id,
          merged: group.filter((r) => r !== kept).map((r) => `${id}@${r.index}`),
          reason: `id appears ${group.length} times; the later entry (position ${kept.index}) is the live one`,
        });
      }
    }
    for (const r of unique) if (r.serverId === null) out.push(r);
    for (const [serverId, group] of groupBy(
      unique.filter((r) => r.serverId !== null),
      (r) => r.serverId,
    )) {
      if (group.length === 1) {
        out.push(group[0]!);
        continue;
      }
      const kept = group.reduce((a, b) => (compareTime(b, a) > 0 ? b : a));
      out.push(kept);
      duplicates.push({
        collection: kept.collection,
        layer: LAYER_LABEL[kept.layer],
        source,
        kept: kept.clientId,
        merged: group.filter((r) => r !== kept).map((r) => r.clientId),
        reason: `${group.length} rows share server id ${serverId}; the newest copy is kept`,
      });
    }
  }
  return out;
}

/** >0 when a is newer; equal times fall back to the earlier position (the first row wins). */
function compareTime(a: SourceRecord, b: SourceRecord): number {
  const ta = effectiveTime(a) ?? -Infinity;
  const tb = effectiveTime(b) ?? -Infinity;
  if (ta !== tb) return ta > tb ? 1 : -1;
  return b.index - a.index;
}

/** Timestamps equal, allowing < 1 s when either copy stored whole seconds. */
function sameTime(a: number | null, b: number | null, tolerant: boolean): boolean {
  if (a === null || b === null) return a === b;
  return tolerant ? Math.abs(a - b) < 1000 : a === b;
}

/** Fields (domain, timestamps, tombstone) whose values differ between two copies. */
export function differingFields(a: SourceRecord, b: SourceRecord): string[] {
  const out: string[] = [];
  const tolerant = a.secondsPrecision || b.secondsPrecision;
  const keys = new Set([...Object.keys(a.fields), ...Object.keys(b.fields)]);
  for (const k of [...keys].sort()) {
    if (canonicalJson(a.fields[k] ?? null) !== canonicalJson(b.fields[k] ?? null)) out.push(k);
  }
  if (!sameTime(a.updatedAt, b.updatedAt, tolerant)) out.push('updated_at');
  if ((a.deletedAt === null) !== (b.deletedAt === null)) out.push('deleted_at');
  return out;
}

function pick(candidates: SourceRecord[], rule: ConflictRule): { winner: SourceRecord; reason: string; undecided: boolean } {
  const byRank = [...candidates].sort((a, b) => LAYER_RANK[a.layer] - LAYER_RANK[b.layer]);
  const server = byRank.find((c) => c.layer === 'server');
  const device = byRank.filter((c) => c.layer !== 'server');
  if (rule === 'server-wins' && server !== undefined) return { winner: server, reason: 'server-wins: the server copy', undecided: false };
  if (rule === 'device-wins' && device.length > 0 && server !== undefined) {
    const d = newest(device);
    return { winner: d.winner, reason: `device-wins: ${d.reason}`, undecided: d.undecided };
  }
  return newest(byRank);
}

/** LWW over copies already sorted by tie rank (server, sqlite, mmkv, asyncstorage). */
function newest(byRank: SourceRecord[]): { winner: SourceRecord; reason: string; undecided: boolean } {
  let best = byRank[0]!;
  for (const c of byRank.slice(1)) {
    const tc = effectiveTime(c);
    const tb = effectiveTime(best);
    if (tc !== null && (tb === null || tc > tb)) best = c;
  }
  const tBest = effectiveTime(best);
  if (byRank.length === 1) return { winner: best, reason: `only copy (${LAYER_LABEL[best.layer]})`, undecided: false };
  const tied = byRank.filter((c) => effectiveTime(c) === tBest && c !== best && differingFields(c, best).length > 0);
  if (tBest === null) {
    const undecided = byRank.some((c) => c !== best && differingFields(c, best).length > 0);
    return { winner: best, reason: `no copy has an update time; ${LAYER_LABEL[best.layer]} taken by tie order`, undecided };
  }
  const what = best.deletedAt !== null ? `deleted at ${tBest}` : `updated_at ${tBest}`;
  if (tied.length > 0) {
    return { winner: best, reason: `tie at ${tBest} with different content: ${LAYER_LABEL[best.layer]} wins by tie order (server, sqlite, mmkv)`, undecided: false };
  }
  return { winner: best, reason: `newest copy (${what})`, undecided: false };
}

export interface MergeOptions {
  rule: ConflictRule;
  /** A server export was read for this collection: sync status derives from the server copy. */
  serverKnown: boolean;
}

/** Merges every copy of every record of one collection. Output is sorted by client id. */
export function mergeCollection(records: SourceRecord[], opts: MergeOptions): CollectionMerge {
  const duplicates: DuplicateMerge[] = [];
  const folded = foldInLayer(records, duplicates);
  // copies of one record: linked by client id or by server id, across layers (union-find)
  const parent = folded.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const firstBy = new Map<string, number>();
  folded.forEach((r, i) => {
    for (const k of [`c\u0000${r.clientId}`, r.serverId === null ? null : `s\u0000${r.serverId}`]) {
      if (k === null) continue;
      const j = firstBy.get(k);
      if (j === undefined) firstBy.set(k, i);
      else parent[find(i)] = find(j);
    }
  });
  const byRoot = groupBy(folded.keys(), find);
  const groups = new Map<string, SourceRecord[]>();
  for (const indexes of byRoot.values()) {
    const g = indexes.map((i) => folded[i]!);
    // the device's id wins (sqlite first), the server's only for records the device never had
    const ranked = [...g].sort((a, b) => deviceRank(a) - deviceRank(b) || (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
    const key = ranked[0]!.clientId;
    const others = [...new Set(g.map((r) => r.clientId))].filter((id) => id !== key);
    if (others.length > 0) {
      duplicates.push({
        collection: ranked[0]!.collection,
        layer: [...new Set(g.map((r) => LAYER_LABEL[r.layer]))].join('+'),
        source: [...new Set(g.map((r) => r.source))].join(', '),
        kept: key,
        merged: others,
        reason: 'copies in different layers share a server id under different client ids: one record',
      });
    }
    groups.set(key, g);
  }
  const merged: MergedRecord[] = [];
  for (const key of [...groups.keys()].sort()) merged.push(mergeOne(key, groups.get(key)!, opts));
  return { merged, duplicates, foldedCount: records.length - merged.length };
}

function deviceRank(r: SourceRecord): number {
  return r.layer === 'server' ? 9 : LAYER_RANK[r.layer];
}

function mergeOne(clientId: string, copies: SourceRecord[], opts: MergeOptions): MergedRecord {
  const { winner, reason, undecided } = pick(copies, opts.rule);
  const byRank = copies.length === 1 ? copies : [...copies].sort((a, b) => LAYER_RANK[a.layer] - LAYER_RANK[b.layer]);
  const server = byRank.find((c) => c.layer === 'server');
  const firstOf = <K extends 'serverId' | 'userId' | 'createdAt' | 'vectorClock'>(k: K): SourceRecord[K] =>
    winner[k] ?? byRank.map((c) => c[k]).find((v) => v !== null) ?? null;
  const deleted = winner.deletedAt !== null;
  const final = {
    collection: winner.collection,
    clientId,
    serverId: server?.serverId ?? firstOf('serverId'),
    userId: firstOf('userId'),
    createdAt: firstOf('createdAt'),
    updatedAt: winner.updatedAt,
    deletedAt: winner.deletedAt,
    version: winner.version,
    vectorClock: firstOf('vectorClock'),
    fields: winner.fields,
  };
  const diff = new Set<string>();
  for (const c of copies) if (c !== winner) for (const f of differingFields(c, winner)) diff.add(f);
  const allEqual = diff.size === 0;
  const label = server !== undefined && server.deletedAt === null && copies.length > 1 && allEqual ? 'equal' : LAYER_LABEL[winner.layer];

  let syncStatus: SyncStatus;
  let statusReason: string;
  let requiredOp: RequiredOp = null;
  if (undecided || (opts.serverKnown && server !== undefined && server !== winner && clocksConcurrent(winner.vectorClock, server.vectorClock))) {
    syncStatus = 'conflict';
    statusReason = undecided ? 'copies differ and none has an update time' : 'vector clocks are concurrent';
  } else if (opts.serverKnown) {
    ({ syncStatus, statusReason, requiredOp } = againstServer(winner, server, final.serverId));
  } else {
    const known = final.serverId !== null || copies.some((c) => c.knownToServer);
    ({ syncStatus, statusReason, requiredOp } = fromLegacyStatus(winner, known));
  }

  return {
    winner,
    final,
    requiredOp,
    decision: {
      collection: winner.collection,
      clientId,
      winner: label,
      reason,
      candidates: byRank.map((c) => ({ layer: LAYER_LABEL[c.layer], source: c.source, updatedAt: effectiveTime(c), deleted: c.deletedAt !== null })),
      differingFields: [...diff].sort(),
      syncStatus,
      syncStatusReason: statusReason,
      deleted,
    },
  };
}

interface Derived {
  syncStatus: SyncStatus;
  statusReason: string;
  requiredOp: RequiredOp;
}

function againstServer(winner: SourceRecord, server: SourceRecord | undefined, serverId: string | null): Derived {
  const deleted = winner.deletedAt !== null;
  if (server === undefined) {
    if (deleted) return { syncStatus: 'synced', statusReason: 'deleted on the device and unknown to the server: nothing to send', requiredOp: null };
    if (serverId !== null) {
      return {
        syncStatus: 'conflict',
        statusReason: `the device knows server id ${serverId} but the server export has no such document (deleted there?)`,
        requiredOp: null,
      };
    }
    return { syncStatus: 'pending', statusReason: 'unknown to the server: needs a create', requiredOp: 'create' };
  }
  const serverDeleted = server.deletedAt !== null;
  if (winner === server || differingFields(winner, server).length === 0) {
    return { syncStatus: 'synced', statusReason: 'equal to the server copy', requiredOp: null };
  }
  if (deleted) {
    return serverDeleted
      ? { syncStatus: 'synced', statusReason: 'deleted on both sides', requiredOp: null }
      : { syncStatus: 'pending', statusReason: 'deleted on the device after the server copy: needs a delete', requiredOp: 'delete' };
  }
  return {
    syncStatus: 'pending',
    statusReason: serverDeleted ? 'live on the device, newer than the server tombstone: needs an update' : 'newer than the server copy: needs an update',
    requiredOp: 'update',
  };
}

function fromLegacyStatus(winner: SourceRecord, known: boolean): Derived {
  const deleted = winner.deletedAt !== null;
  const s = winner.legacyStatus;
  if (deleted) {
    if (!known) return { syncStatus: 'synced', statusReason: 'deleted before it reached the server: nothing to send', requiredOp: null };
    if (s === 'synced') return { syncStatus: 'synced', statusReason: 'tombstone already synced (legacy status)', requiredOp: null };
    return { syncStatus: 'pending', statusReason: 'tombstone not yet sent (legacy status)', requiredOp: 'delete' };
  }
  const op = known ? 'update' : 'create';
  if (s === 'failed') return { syncStatus: 'failed', statusReason: 'the legacy store marks it failed', requiredOp: op };
  if (s === 'pending' || (s === null && !known)) {
    return { syncStatus: 'pending', statusReason: s === 'pending' ? 'pending in the legacy store' : 'never synced', requiredOp: op };
  }
  return { syncStatus: 'synced', statusReason: s === 'synced' ? 'synced in the legacy store' : 'known to the server and no pending mark', requiredOp: null };
}

export type { Layer };

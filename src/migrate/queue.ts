/**
 * Legacy queue entries → `sync_queue` rows, reconciled with the merged records. Entries keep their
 * original order (`seq` follows the snapshot's send order), attempts and last errors, and their
 * idempotency key (or one derived deterministically from where the entry came from). A record
 * whose final state the server lacks gets exactly one open op, carrying the final record as its
 * payload (a stale payload would roll the server back); open ops the merge made obsolete are marked
 * done with the reason; entries that cannot be executed are kept as `dead` with the reason.
 */
import { createHash } from 'node:crypto';
import { idempotencyKeyOf } from '../outbox/idempotency.js';
import { findPrototypeKeys } from '../outbox/payload.js';
import type { OutboxOp } from '../outbox/types.js';
import type { MergedRecord, RequiredOp } from './merge.js';
import type { FinalRecord, QueueRow, QueueStatus } from './types.js';
import { clocksConcurrent } from './vector-clock.js';

export interface QueueInput {
  ops: OutboxOp[];
  /** Final records keyed by `collection\u0000clientId`, with the op the server still needs. */
  records: Map<string, { final: FinalRecord; requiredOp: RequiredOp; merged: MergedRecord }>;
  collections: ReadonlySet<string>;
  /** Queue collection names that mean a profile collection (`pin` → `pins`). */
  aliases: Readonly<Record<string, string>>;
  /** Collections whose server copy is known: the required op type is certain, legacy types are corrected. */
  serverKnown: ReadonlySet<string>;
}

export interface QueuePlan {
  rows: QueueRow[];
  /** Records whose kept op is a failed one (retry budget spent): their sync status becomes failed. */
  failedRecords: Set<string>;
  /** Records with a queued change whose vector clock is concurrent with the record's: a true conflict. */
  conflictRecords: Set<string>;
}

export function recordKey(collection: string, clientId: string): string {
  return `${collection}\u0000${clientId}`;
}

/** A deterministic UUID-shaped key for ops the migration makes (backfills, repeated keys). */
export function derivedKey(text: string): string {
  const h = createHash('sha256').update(`syncdoc-migrate\u0000${text}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The payload a pending op sends: the final record in unified column names (delete: ids + time). */
export function finalPayload(final: FinalRecord, op: 'create' | 'update' | 'delete'): string {
  if (op === 'delete') return JSON.stringify({ client_id: final.clientId, server_id: final.serverId, deleted_at: final.deletedAt });
  return JSON.stringify({
    client_id: final.clientId,
    server_id: final.serverId,
    user_id: final.userId,
    ...final.fields,
    created_at: final.createdAt,
    updated_at: final.updatedAt,
    deleted_at: final.deletedAt,
    version: final.version,
    vector_clock: final.vectorClock,
  });
}

function deadReason(op: OutboxOp, collection: string, known: ReadonlySet<string>): string | null {
  if (op.op === null) return `unknown op "${op.rawOp}"`;
  if (!known.has(collection)) return `unknown collection "${op.collection}"`;
  if (op.recordId === null || op.recordId === '') return 'no record id';
  if (op.payloadError !== null) return `bad payload: ${op.payloadError}`;
  const poison = findPrototypeKeys(op.payload);
  if (poison.length > 0) return `payload has prototype keys (${poison.join(', ')})`;
  if (op.status === 'unknown') return `unknown status "${op.rawStatus ?? ''}"`;
  return null;
}

export function planQueue(input: QueueInput): QueuePlan {
  const ordered = [...input.ops].sort((a, b) => a.position - b.position);
  const rows: QueueRow[] = [];
  const idOf = new Map<string, string>();
  const usedKeys = new Set<string>();
  const usedIds = new Set<string>();
  const openByRecord = new Map<string, QueueRow[]>();
  const originOf = (op: OutboxOp) => `${op.store}#${op.queue}:${op.id}`;

  for (const op of ordered) {
    const collection = input.aliases[op.recordTable ?? op.collection] ?? op.recordTable ?? op.collection;
    const origin = originOf(op);
    let id = `${op.queue}/${op.id}`;
    if (usedIds.has(id)) id = `${op.store}#${id}`;
    usedIds.add(id);
    idOf.set(`${op.store}\u0000${op.queue}\u0000${op.id}`, id);
    // the outbox reader's derivation: a replay from the legacy snapshot and one from the migrated
    // database send the same keys, so the server deduplicates across the two
    let key = idempotencyKeyOf(op);
    let keyNote: string | null = null;
    if (usedKeys.has(key)) {
      keyNote = `idempotency key ${key} repeats an earlier op; a derived key was given`;
      key = derivedKey(`${origin}\u0000duplicate-key`);
    }
    usedKeys.add(key);
    const dead = deadReason(op, collection, input.collections);
    const row: QueueRow = {
      id,
      seq: rows.length + 1,
      collection,
      recordClientId: op.recordId ?? '',
      op: op.op ?? 'update',
      payload: op.payloadText ?? (op.payload === null ? 'null' : JSON.stringify(op.payload)),
      idempotencyKey: key,
      status: dead !== null ? 'dead' : legacyStatus(op.status),
      statusReason: dead ?? keyNote,
      attempts: op.attempts,
      maxAttempts: op.maxAttempts,
      nextAttemptAt: op.nextAttemptAt,
      lastError: op.lastError,
      dependsOn: null,
      createdAt: op.createdAt,
      origin,
    };
    rows.push(row);
    if (row.status === 'pending' || row.status === 'in_flight' || row.status === 'failed') {
      const k = recordKey(collection, row.recordClientId);
      const list = openByRecord.get(k);
      if (list === undefined) openByRecord.set(k, [row]);
      else list.push(row);
    }
  }
  // dependencies point at the new ids (same store and queue)
  for (const [i, op] of ordered.entries()) {
    const deps = op.dependsOn.map((d) => idOf.get(`${op.store}\u0000${op.queue}\u0000${d}`) ?? d);
    rows[i]!.dependsOn = deps.length === 0 ? null : deps.length === 1 ? deps[0]! : JSON.stringify(deps);
  }

  const failedRecords = new Set<string>();
  const conflictRecords = new Set<string>();
  const opByRow = new Map(rows.map((r, i) => [r, ordered[i]!]));
  for (const [k, open] of openByRecord) {
    const rec = input.records.get(k);
    const concurrent = rec === undefined ? undefined : open.find((row) => clocksConcurrent(opByRow.get(row)?.payload?.['vector_clock'], rec.final.vectorClock));
    if (rec !== undefined && concurrent !== undefined) {
      // the queued change and the record both moved on: keep the change as queued (its own
      // payload) for the backend's version check and a person to resolve, never overwrite it
      conflictRecords.add(k);
      for (const row of open) {
        row.statusReason = `conflict: ${concurrent.id}'s vector clock is concurrent with the record's; the queued change is kept as it was`;
        if (row.status === 'in_flight') row.status = 'pending';
      }
      continue;
    }
    if (rec === undefined) {
      for (const row of open) {
        // a delete whose record is already gone locally still has to reach the server
        if (row.op === 'delete' && row === open[open.length - 1]) {
          if (row.status === 'in_flight') row.status = 'pending';
          row.statusReason = 'the record was already removed locally; the delete must still reach the server';
        } else {
          close(row, 'dead', 'orphan: the record is in no source (deleted or never stored); not executed');
        }
      }
      continue;
    }
    const needed = rec.requiredOp;
    if (needed === null) {
      for (const row of open) close(row, 'done', `superseded: ${rec.merged.decision.syncStatusReason}`);
      continue;
    }
    const certain = input.serverKnown.has(rec.final.collection);
    const keeper = open.find((r) => r.op === needed) ?? open[0]!;
    if (keeper.op !== needed && (certain || needed === 'delete' || keeper.op === 'delete')) {
      keeper.statusReason = `retyped from ${keeper.op}: the server needs a ${needed}`;
      keeper.op = needed;
    }
    keeper.payload = finalPayload(rec.final, keeper.op);
    if (keeper.status === 'in_flight') {
      keeper.status = 'pending';
      keeper.statusReason = 'was in flight when the snapshot was taken: resend with the same idempotency key';
    }
    if (keeper.status === 'failed') failedRecords.add(k);
    for (const row of open) if (row !== keeper) close(row, 'done', `superseded: folded into ${keeper.id}, which carries the final record`);
  }

  // backfill: a record the server still needs that no open op covers
  const covered = new Set(openByRecord.keys());
  for (const [k, rec] of [...input.records.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (rec.requiredOp === null || covered.has(k)) continue;
    const origin = `backfill:${rec.final.collection}:${rec.final.clientId}:${rec.requiredOp}`;
    rows.push({
      id: `backfill/${rec.final.collection}/${rec.final.clientId}`,
      seq: rows.length + 1,
      collection: rec.final.collection,
      recordClientId: rec.final.clientId,
      op: rec.requiredOp,
      payload: finalPayload(rec.final, rec.requiredOp),
      idempotencyKey: derivedKey(origin),
      status: 'pending',
      statusReason: `backfill: ${rec.merged.decision.syncStatusReason}; no queued op covered it`,
      attempts: 0,
      maxAttempts: null,
      nextAttemptAt: null,
      lastError: null,
      dependsOn: null,
      createdAt: rec.final.deletedAt ?? rec.final.updatedAt,
      origin: 'backfill',
    });
  }
  return { rows, failedRecords, conflictRecords };
}

function legacyStatus(s: OutboxOp['status']): QueueStatus {
  return s === 'unknown' ? 'dead' : s;
}

function close(row: QueueRow, status: QueueStatus, reason: string): void {
  row.status = status;
  row.statusReason = reason;
}

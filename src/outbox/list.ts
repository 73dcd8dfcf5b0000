/**
 * `outbox list`: the queue as the app would send it. One row per entry in send order with its
 * age measured against the snapshot's newest timestamp (a frozen snapshot has no "now"), so the
 * same snapshot lists the same ages on any day. Done entries are history and are left out unless asked.
 */
import { NO_REDACTION, type Redactor } from '../privacy/redact.js';
import { OPEN_STATUSES, type OutboxOp, type OutboxQueueInfo, type OutboxSnapshot } from './types.js';

export interface OutboxListRow {
  position: number;
  id: string;
  store: string;
  queue: string;
  collection: string;
  recordId: string | null;
  op: string;
  status: string;
  attempts: number;
  maxAttempts: number | null;
  createdAt: number | null;
  /** newestTimestamp − createdAt, in ms; null when either is unknown. */
  ageMs: number | null;
  lastError: string | null;
  dependsOn: string[];
  idempotencyKey: string | null;
  payload?: unknown;
}

export interface OutboxListReport {
  verdict: 'pass';
  newestTimestamp: number | null;
  queues: OutboxQueueInfo[];
  totals: { listed: number; open: number; all: number };
  ops: OutboxListRow[];
}

export interface ListOptions {
  /** Include done (already sent) entries. */
  all?: boolean;
  /** Include each entry's payload. */
  payloads?: boolean;
  redactor?: Redactor;
}

export function listOutbox(outbox: OutboxSnapshot, options: ListOptions = {}): OutboxListReport {
  const redact = options.redactor ?? NO_REDACTION;
  const open = outbox.ops.filter((o) => OPEN_STATUSES.has(o.status));
  const shown = options.all ? outbox.ops : outbox.ops.filter((o) => o.status !== 'done');
  const newest = outbox.newestTimestamp;
  return {
    verdict: 'pass',
    newestTimestamp: newest,
    queues: outbox.queues,
    totals: { listed: shown.length, open: open.length, all: outbox.ops.length },
    ops: shown.map((o) => toRow(o, newest, redact, options.payloads === true)),
  };
}

function toRow(o: OutboxOp, newest: number | null, redact: Redactor, withPayload: boolean): OutboxListRow {
  const row: OutboxListRow = {
    position: o.position,
    id: o.id,
    store: o.store,
    queue: o.queue,
    collection: o.collection,
    recordId: o.recordId,
    op: o.op ?? o.rawOp,
    status: o.status === 'unknown' ? `unknown(${o.rawStatus ?? ''})` : o.status,
    attempts: o.attempts,
    maxAttempts: o.maxAttempts,
    createdAt: o.createdAt,
    ageMs: newest !== null && o.createdAt !== null ? newest - o.createdAt : null,
    lastError: o.lastError === null ? null : redact.text(o.lastError),
    dependsOn: o.dependsOn,
    idempotencyKey: o.idempotencyKey,
  };
  if (withPayload) row.payload = redact.value(o.payload ?? o.payloadText, 'payload');
  return row;
}

/** A duration as a short human age: `42s`, `17m`, `3.5h`, `2.1d`. */
export function formatAge(ms: number): string {
  const abs = Math.abs(ms);
  const sign = ms < 0 ? '-' : '';
  if (abs < 60_000) return `${sign}${Math.round(abs / 1000)}s`;
  if (abs < 3_600_000) return `${sign}${Math.round(abs / 60_000)}m`;
  if (abs < 86_400_000) return `${sign}${(abs / 3_600_000).toFixed(1)}h`;
  return `${sign}${(abs / 86_400_000).toFixed(1)}d`;
}

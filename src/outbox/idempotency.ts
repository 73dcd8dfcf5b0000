/**
 * The idempotency key and wire form of each op. An op keeps its own key; one without gets a key
 * derived from what identifies it (device, collection, record, op, sequence, payload hash), so the
 * same snapshot always yields the same keys: a replay resumed on another day, from another copy of
 * the snapshot, is still deduplicated by the server.
 */
import { createHash } from 'node:crypto';
import type { PushOp } from '../backends/types.js';
import type { OutboxOp } from './types.js';

/** JSON with object keys sorted, so equal payloads hash equally whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function payloadHash(op: Pick<OutboxOp, 'payload' | 'payloadText'>): string {
  return sha256(op.payload !== null ? canonicalJson(op.payload) : (op.payloadText ?? ''));
}

/** `sd1-` + 40 hex digits of sha256 over the op's identifying fields. */
export function deriveIdempotencyKey(op: OutboxOp): string {
  const parts = [op.deviceId ?? '', op.collection, op.recordId ?? '', op.op ?? op.rawOp, String(op.seq ?? `#${op.position}`), payloadHash(op)];
  return 'sd1-' + sha256(JSON.stringify(parts)).slice(0, 40);
}

export function idempotencyKeyOf(op: OutboxOp): string {
  return op.idempotencyKey ?? deriveIdempotencyKey(op);
}

/** The op as sent to a backend. Deletes carry no payload; unusable payloads are sent as they are (the server rejects them). */
export function toPushOp(op: OutboxOp): PushOp {
  return {
    idempotencyKey: idempotencyKeyOf(op),
    collection: op.collection,
    recordId: op.recordId ?? '',
    op: op.op ?? (op.rawOp as PushOp['op']),
    payload: op.op === 'delete' ? null : op.payload,
    baseVersion: op.baseVersion,
    updatedAt: op.updatedAt,
  };
}

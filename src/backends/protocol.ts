/**
 * The JSON sync protocol spoken by the local reference server and expected by the `http` backend:
 * `POST /push {ops:[…]}` → `{results:[…]}` (one per op, same order) and `GET|POST /pull` →
 * `{changes, cursor, hasMore}`. This module owns the wire-level checks: it turns one untrusted op
 * into either a well-formed PushOp or the reason it is rejected, so a single bad op is answered
 * `rejected` and never fails its batch. It does no I/O.
 */
import { isPlainObject } from '../json-value.js';
import type { OpKind, PushOp } from './types.js';

/** Default request limits of the reference server; a request over them is answered 413. */
export const DEFAULT_LIMITS = {
  maxOpsPerPush: 1000,
  maxBodyBytes: 8 * 1024 * 1024,
  maxPayloadBytes: 1024 * 1024,
  maxPullLimit: 1000,
} as const;

export type ServerLimits = { [K in keyof typeof DEFAULT_LIMITS]: number };

const OP_KINDS: ReadonlySet<string> = new Set<OpKind>(['create', 'update', 'delete']);
const MAX_KEY_CHARS = 256;
const MAX_NAME_CHARS = 128;
// Keys that would reach Object.prototype if a consumer spread the payload into a plain object.
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export type OpCheck = { ok: true; op: PushOp } | { ok: false; idempotencyKey: string; reason: string };

function checkName(v: unknown, field: string, max: number): string | null {
  if (typeof v !== 'string' || v.length === 0) return `${field} must be a non-empty string`;
  if (v.length > max) return `${field} longer than ${max} characters`;
  return null;
}

/** Validates one op as received on the wire (the payload's size is measured as JSON text). */
export function checkOp(raw: unknown, limits: Pick<ServerLimits, 'maxPayloadBytes'> = DEFAULT_LIMITS): OpCheck {
  if (!isPlainObject(raw)) return { ok: false, idempotencyKey: '', reason: 'op must be an object' };
  const key = raw['idempotencyKey'];
  const keyText = typeof key === 'string' ? key : '';
  const fail = (reason: string): OpCheck => ({ ok: false, idempotencyKey: keyText, reason });
  const problem =
    checkName(key, 'idempotencyKey', MAX_KEY_CHARS) ??
    checkName(raw['collection'], 'collection', MAX_NAME_CHARS) ??
    checkName(raw['recordId'], 'recordId', MAX_KEY_CHARS);
  if (problem) return fail(problem);
  const op = raw['op'];
  if (typeof op !== 'string' || !OP_KINDS.has(op)) return fail('op must be one of create, update, delete');
  const payload = raw['payload'] ?? null;
  if (op === 'delete') {
    if (payload !== null && !isPlainObject(payload)) return fail('payload of a delete must be null or an object');
  } else if (!isPlainObject(payload)) {
    return fail(`payload of ${op} must be an object`);
  }
  if (payload !== null) {
    const bad = Object.keys(payload).find((k) => FORBIDDEN_KEYS.has(k));
    if (bad !== undefined) return fail(`payload carries the forbidden key "${bad}"`);
    if (JSON.stringify(payload).length > limits.maxPayloadBytes) return fail(`payload larger than ${limits.maxPayloadBytes} bytes`);
  }
  const baseVersion = raw['baseVersion'] ?? null;
  if (baseVersion !== null && (typeof baseVersion !== 'number' || !Number.isSafeInteger(baseVersion) || baseVersion < 0)) {
    return fail('baseVersion must be a non-negative integer or null');
  }
  const updatedAt = raw['updatedAt'] ?? null;
  if (updatedAt !== null && (typeof updatedAt !== 'number' || !Number.isFinite(updatedAt))) {
    return fail('updatedAt must be a finite number (UTC ms) or null');
  }
  return {
    ok: true,
    op: {
      idempotencyKey: keyText,
      collection: raw['collection'] as string,
      recordId: raw['recordId'] as string,
      op: op as OpKind,
      payload: op === 'delete' ? null : (payload as Record<string, unknown>),
      baseVersion,
      updatedAt,
    },
  };
}

/** Pull cursors on the wire are decimal change sequence numbers; null or "" means the start. */
export function parseSeqCursor(cursor: unknown): number | null {
  if (cursor === null || cursor === undefined || cursor === '') return 0;
  if (typeof cursor !== 'string' || !/^\d{1,15}$/.test(cursor)) return null;
  return Number(cursor);
}

// syncdoc reference sync module: the functions `syncdoc outbox replay --backend convex` calls.
//
// pushOps applies a batch of ops and returns one result per op, in order: applied | duplicate |
// conflict | rejected. It never throws for a single op (a throw would roll back the whole batch);
// it throws ConvexError({kind:'tooLarge'}) only for a batch over MAX_OPS, so the client halves it.
// Idempotency lives here because Convex's HTTP API does not deduplicate: the op's key is recorded
// in `syncOps` in the same transaction as the write. changesSince pages through changes in commit
// order with an opaque cursor string.
import { ConvexError, v } from 'convex/values';
import { mutation, query, type MutationCtx } from './_generated/server';

const MAX_OPS = 1000;
const MAX_PULL = 1000;
const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];

type Result =
  | { status: 'applied'; version: number }
  | { status: 'duplicate'; version: number }
  | { status: 'conflict'; reason: string; serverVersion?: number }
  | { status: 'rejected'; reason: string };

interface Op {
  key: string;
  collection: string;
  recordId: string;
  op: 'create' | 'update' | 'delete';
  payload: Record<string, unknown> | null;
  baseVersion: number | null;
  updatedAt: number | null;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof ArrayBuffer);
}

function nonEmpty(x: unknown, max: number): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= max;
}

/** Checks one op's shape; a string is the reason it is rejected. */
function parseOp(raw: unknown): Op | string {
  if (!isObject(raw)) return 'op must be an object';
  if (!nonEmpty(raw.idempotencyKey, 256)) return 'idempotencyKey must be a non-empty string (≤ 256 chars)';
  if (!nonEmpty(raw.collection, 128)) return 'collection must be a non-empty string (≤ 128 chars)';
  if (!nonEmpty(raw.recordId, 256)) return 'recordId must be a non-empty string (≤ 256 chars)';
  const op = raw.op;
  if (op !== 'create' && op !== 'update' && op !== 'delete') return 'op must be one of create, update, delete';
  const payload = raw.payload ?? null;
  if (op !== 'delete' && !isObject(payload)) return `payload of ${op} must be an object`;
  if (payload !== null && !isObject(payload)) return 'payload of a delete must be null or an object';
  if (payload !== null && Object.keys(payload).some((k) => FORBIDDEN_KEYS.includes(k))) return 'payload carries a forbidden key';
  const baseVersion = raw.baseVersion ?? null;
  if (baseVersion !== null && (typeof baseVersion !== 'number' || !Number.isSafeInteger(baseVersion) || baseVersion < 0)) {
    return 'baseVersion must be a non-negative integer or null';
  }
  const updatedAt = raw.updatedAt ?? null;
  if (updatedAt !== null && (typeof updatedAt !== 'number' || !Number.isFinite(updatedAt))) return 'updatedAt must be a finite number or null';
  return { key: raw.idempotencyKey, collection: raw.collection, recordId: raw.recordId, op, payload: op === 'delete' ? null : payload, baseVersion, updatedAt };
}

export const pushOps = mutation({
  // v.any() per op on purpose: a validator on the op shape would reject the whole batch for one bad op.
  args: { ops: v.array(v.any()) },
  handler: async (ctx, { ops }) => {
    if (ops.length > MAX_OPS) throw new ConvexError({ kind: 'tooLarge', maxOps: MAX_OPS });
    const results: (Result & { idempotencyKey: string })[] = [];
    for (let i = 0; i < ops.length; i++) {
      const raw: unknown = ops[i];
      const parsed = parseOp(raw);
      if (typeof parsed === 'string') {
        const key = isObject(raw) && typeof raw.idempotencyKey === 'string' ? raw.idempotencyKey : '';
        results.push({ idempotencyKey: key, status: 'rejected', reason: parsed });
        continue;
      }
      results.push({ idempotencyKey: parsed.key, ...(await applyOp(ctx, parsed, i)) });
    }
    return results;
  },
});

async function applyOp(ctx: MutationCtx, op: Op, opSeq: number): Promise<Result> {
  const seen = await ctx.db.query('syncOps').withIndex('by_key', (q) => q.eq('key', op.key)).unique();
  if (seen) {
    if (seen.collection !== op.collection || seen.recordId !== op.recordId) {
      return { status: 'rejected', reason: 'idempotency key already used for another record' };
    }
    return { status: 'duplicate', version: seen.version };
  }
  const current = await ctx.db
    .query('syncRecords')
    .withIndex('by_record', (q) => q.eq('collection', op.collection).eq('recordId', op.recordId))
    .unique();
  if (op.op === 'create') {
    if (current) return { status: 'conflict', reason: current.deleted ? 'record was deleted' : 'record already exists', serverVersion: current.version };
  } else {
    if (!current) return { status: 'conflict', reason: 'record not found' };
    if (current.deleted) return { status: 'conflict', reason: 'record was deleted', serverVersion: current.version };
    if (op.baseVersion !== null && op.baseVersion !== current.version) {
      return { status: 'conflict', reason: `base version ${op.baseVersion} is not the server version ${current.version}`, serverVersion: current.version };
    }
    if (op.updatedAt !== null && current.updatedAt !== null && op.updatedAt < current.updatedAt) {
      return { status: 'conflict', reason: `updatedAt ${op.updatedAt} is older than the server's ${current.updatedAt}`, serverVersion: current.version };
    }
  }
  const version = (current?.version ?? 0) + 1;
  const fields = {
    version,
    deleted: op.op === 'delete',
    // an update is a patch: fields it does not name keep their server value
    data: op.op === 'delete' ? null : op.op === 'update' ? { ...(current?.data as object), ...op.payload } : op.payload,
    updatedAt: op.updatedAt === null ? (current?.updatedAt ?? null) : Math.trunc(op.updatedAt),
    serverTs: ctx.db.vars.commitTs,
    opSeq,
  };
  if (current) await ctx.db.patch(current._id, fields);
  else await ctx.db.insert('syncRecords', { collection: op.collection, recordId: op.recordId, ...fields });
  await ctx.db.insert('syncOps', { key: op.key, collection: op.collection, recordId: op.recordId, version });
  return { status: 'applied', version };
}

/** Cursor text: `<serverTs>:<opSeq>` of the last change returned; '' or null is the beginning. */
function parseCursor(cursor: string | null): { ts: bigint; seq: number } | null {
  if (cursor === null || cursor === '') return null;
  const m = /^(\d{1,20}):(\d{1,9})$/.exec(cursor);
  if (!m) throw new ConvexError({ kind: 'badCursor', cursor });
  return { ts: BigInt(m[1] as string), seq: Number(m[2]) };
}

export const changesSince = query({
  args: { cursor: v.union(v.string(), v.null()), limit: v.number() },
  handler: async (ctx, args) => {
    const limit = Number.isFinite(args.limit) ? Math.max(1, Math.min(MAX_PULL, Math.floor(args.limit))) : 100;
    const after = parseCursor(args.cursor);
    // One more than asked tells whether another page exists. Rest of the same commit first, then later commits.
    const rows = after
      ? await ctx.db.query('syncRecords').withIndex('by_change', (q) => q.eq('serverTs', after.ts).gt('opSeq', after.seq)).take(limit + 1)
      : [];
    if (rows.length <= limit) {
      const more = await ctx.db
        .query('syncRecords')
        .withIndex('by_change', (q) => (after ? q.gt('serverTs', after.ts) : q))
        .take(limit + 1 - rows.length);
      rows.push(...more);
    }
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      changes: page.map((r) => ({
        collection: r.collection,
        recordId: r.recordId,
        version: r.version,
        deleted: r.deleted,
        data: r.deleted ? null : r.data,
        updatedAt: r.updatedAt,
      })),
      cursor: last ? `${last.serverTs as bigint}:${last.opSeq}` : (args.cursor ?? ''),
      hasMore: rows.length > limit,
    };
  },
});

/**
 * The `convex` backend: the unmodified ConvexHttpClient calling the app's push mutation and
 * changes query (names are options; defaults `sync:pushOps` and `sync:changesSince`, the reference
 * module in the repository's `convex/` folder). This is the only module that imports `convex`.
 * Its fetch is wrapped to add a timeout and to label failures like the http backend does; a
 * function error (the mutation threw, so it rolled back) is definite. It never retries by itself.
 */
import { ConvexHttpClient } from 'convex/browser';
import { makeFunctionReference } from 'convex/server';
import { ConvexError, convexToJson, type Value } from 'convex/values';
import { checkOp } from './protocol.js';
import { fetchLabelled, transportErrorFromStatus } from './transport.js';
import { BackendTransportError, type Backend, type PullPage, type PushOp, type PushResult } from './types.js';

export interface ConvexBackendOptions {
  /** Deployment URL, e.g. `https://happy-otter-123.convex.cloud` or a loopback test server. */
  url: string;
  timeoutMs?: number;
  /** A user JWT (from an env var or file); sent as `Authorization: Bearer …`. */
  authToken?: string;
  pushFunction?: string;
  pullFunction?: string;
}

export const CONVEX_DEFAULTS = {
  pushFunction: 'sync:pushOps',
  pullFunction: 'sync:changesSince',
  // ~2 index reads per op against Convex's 4,096 per transaction, and 8,192 array elements: stay well below.
  maxOpsPerPush: 250,
  maxBodyBytes: 2 * 1024 * 1024,
} as const;

const STATUSES: ReadonlySet<string> = new Set(['applied', 'duplicate', 'conflict', 'rejected', 'retry']);
// Texts of Convex's transaction and value limits; production redacts function errors, so the
// reference module also throws ConvexError({kind:'tooLarge'}) which survives redaction.
const LIMIT_TEXT = /too many|too large|too long|too big|limit/i;

/** The op as a Convex value: undefined fields dropped (Convex rejects undefined), nulls kept. */
function toConvexOp(op: PushOp): Record<string, Value> {
  const out: Record<string, Value> = {
    idempotencyKey: op.idempotencyKey,
    collection: op.collection,
    recordId: op.recordId,
    op: op.op,
    payload: op.payload as Value,
  };
  if (op.baseVersion != null) out['baseVersion'] = op.baseVersion;
  if (op.updatedAt != null) out['updatedAt'] = op.updatedAt;
  return out;
}

function functionError(err: unknown, what: string): BackendTransportError {
  if (err instanceof BackendTransportError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const data = err instanceof ConvexError ? (err.data as { kind?: unknown } | null) : null;
  const tooLarge = data?.kind === 'tooLarge' || LIMIT_TEXT.test(message);
  const firstLine = message.split('\n').slice(0, 2).join(' ');
  // A function error means the mutation threw and Convex rolled it back: definitely not applied.
  return new BackendTransportError(`${what}: ${firstLine}`, true, tooLarge ? { tooLarge: true } : { protocol: true });
}

export function createConvexBackend(options: ConvexBackendOptions): Backend {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pushRef = makeFunctionReference<'mutation'>(options.pushFunction ?? CONVEX_DEFAULTS.pushFunction);
  const pullRef = makeFunctionReference<'query'>(options.pullFunction ?? CONVEX_DEFAULTS.pullFunction);
  const base = options.url.replace(/\/+$/, '');

  /** A client per call: ConvexHttpClient has no per-call signal, so the fetch closes over it. */
  const clientFor = (what: string, signal: AbortSignal | undefined): ConvexHttpClient => {
    const labelled: typeof fetch = async (input, init) => {
      const { response, read } = await fetchLabelled(input, init ?? {}, { timeoutMs, signal, what });
      const text = await read();
      // ConvexHttpClient turns other statuses into a plain Error(text); label them here instead.
      if (response.status === 400 && LIMIT_TEXT.test(text)) {
        // Convex answers value limits (array length, object fields, argument size) as BadRequest
        throw new BackendTransportError(`${what}: HTTP 400: ${text.slice(0, 300)}`, true, { status: 400, tooLarge: true });
      }
      if (response.status !== 200 && response.status !== 560) throw transportErrorFromStatus(response.status, response.headers, text, what);
      try {
        JSON.parse(text);
      } catch {
        throw new BackendTransportError(`${what}: malformed answer: not JSON`, false, { status: response.status, protocol: true });
      }
      return new Response(text, { status: response.status, headers: response.headers });
    };
    const client = new ConvexHttpClient(base, { fetch: labelled, logger: false });
    if (options.authToken) client.setAuth(options.authToken);
    return client;
  };

  return {
    kind: 'convex',
    limits: { maxOpsPerPush: CONVEX_DEFAULTS.maxOpsPerPush, maxBodyBytes: CONVEX_DEFAULTS.maxBodyBytes },
    async push(ops, opts) {
      const what = `convex mutation ${options.pushFunction ?? CONVEX_DEFAULTS.pushFunction} at ${base}`;
      // An op that cannot be encoded as a Convex value (e.g. a payload key starting with "$") would
      // fail the whole request client-side, and Convex's codec silently drops a `__proto__` key; so
      // ops are checked here with the protocol's rules, answered `rejected`, and the rest is sent.
      const results: (PushResult | undefined)[] = ops.map(() => undefined);
      const sendable: { index: number; value: Record<string, Value> }[] = [];
      ops.forEach((raw, index) => {
        const checked = checkOp(raw);
        if (!checked.ok) {
          results[index] = { idempotencyKey: checked.idempotencyKey, status: 'rejected', reason: checked.reason };
          return;
        }
        try {
          const value = toConvexOp(checked.op);
          convexToJson(value);
          sendable.push({ index, value });
        } catch (err) {
          results[index] = { idempotencyKey: checked.op.idempotencyKey, status: 'rejected', reason: `not a Convex value: ${(err as Error).message}` };
        }
      });
      if (sendable.length > 0) {
        let answer: unknown;
        try {
          answer = await clientFor(what, opts?.signal).mutation(pushRef, { ops: sendable.map((s) => s.value) }, { skipQueue: true });
        } catch (err) {
          throw functionError(err, what);
        }
        if (!Array.isArray(answer) || answer.length !== sendable.length) {
          throw new BackendTransportError(`${what}: malformed answer: expected ${sendable.length} results`, false, { protocol: true });
        }
        sendable.forEach((s, i) => {
          const r = answer[i] as { status?: unknown } | null;
          if (typeof r?.status !== 'string' || !STATUSES.has(r.status)) {
            throw new BackendTransportError(`${what}: malformed answer: result ${i} has no valid status`, false, { protocol: true });
          }
          results[s.index] = { ...(r as object), idempotencyKey: (s.value['idempotencyKey'] as string) } as PushResult;
        });
      }
      return results as PushResult[];
    },
    async pull(cursor, limit, opts) {
      const what = `convex query ${options.pullFunction ?? CONVEX_DEFAULTS.pullFunction} at ${base}`;
      let page: unknown;
      try {
        page = await clientFor(what, opts?.signal).query(pullRef, { cursor, limit });
      } catch (err) {
        throw functionError(err, what);
      }
      const p = page as Partial<PullPage> | null;
      if (!p || !Array.isArray(p.changes) || typeof p.cursor !== 'string' || typeof p.hasMore !== 'boolean') {
        throw new BackendTransportError(`${what}: malformed answer: expected {changes, cursor, hasMore}`, false, { protocol: true });
      }
      return p as PullPage;
    },
    async close() {},
  };
}

// Convex's value codec and size measure, re-exported for the loopback test server
// (testing/convex-server.ts) so that `convex` stays imported from this one module.
export { convexToJson, jsonToConvex, getConvexSize } from 'convex/values';

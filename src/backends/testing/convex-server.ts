/**
 * Test support: a loopback server speaking Convex's public HTTP API (`POST /api/mutation`,
 * `/api/query`, `convex_encoded_json` in and out, `{status:"success"|"error"}` bodies, HTTP errors as
 * `{code,message}`) in front of convex-test running the repository's own `convex/` module. The
 * unmodified ConvexHttpClient is thus exercised end to end. convex-test does not enforce Convex's
 * value limits, so this server does (8,192 array elements, 1,024 fields, 16 MiB arguments and
 * body). Runs under vitest only: the module it serves is TypeScript loaded through vitest.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { convexTest } from 'convex-test';
import { convexToJson, getConvexSize, jsonToConvex } from '../convex.js';
import { readBodyCapped, sendJson } from '../http-io.js';
import { accelerateConvexTestIndexes } from './convex-test-index.js';

/** Convex's limits (convex-backend crates/common/src/knobs.rs, crates/value). */
export const CONVEX_LIMITS = {
  maxArrayLength: 8192,
  maxObjectFields: 1024,
  maxArgsBytes: 16 * 1024 * 1024,
  maxBodyBytes: 16 * 1024 * 1024 + 2000,
} as const;

export interface ConvexTestServer {
  url: string;
  /** The convex-test instance, to inspect tables directly (`t.run(ctx => …)`). */
  t: ReturnType<typeof convexTest>;
  /** Whether index lookups are hash-accelerated (see ConvexTestServerOptions). */
  accelerated: boolean;
  /** Requests seen per endpoint path, e.g. `/api/mutation`. */
  requests: Map<string, number>;
  close(): Promise<void>;
}

/** convex-test called with string paths, as a server dispatching on the request's `path` must. */
interface PathCaller {
  mutation(path: string, args: object): Promise<unknown>;
  query(path: string, args: object): Promise<unknown>;
  withIdentity(identity: object): PathCaller;
}

class ConvexHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The value checks the real backend applies when it parses arguments (answered 400 BadRequest). */
function checkValueLimits(value: unknown, depth = 0): void {
  if (Array.isArray(value)) {
    if (value.length > CONVEX_LIMITS.maxArrayLength) {
      throw new ConvexHttpError(400, 'BadRequest', `Array length is too long (${value.length} > maximum length ${CONVEX_LIMITS.maxArrayLength})`);
    }
    for (const item of value) checkValueLimits(item, depth + 1);
  } else if (typeof value === 'object' && value !== null && !(value instanceof ArrayBuffer)) {
    const keys = Object.keys(value);
    if (keys.length > CONVEX_LIMITS.maxObjectFields) {
      throw new ConvexHttpError(400, 'BadRequest', `Object has too many fields (${keys.length} > maximum number ${CONVEX_LIMITS.maxObjectFields})`);
    }
    for (const k of keys) checkValueLimits((value as Record<string, unknown>)[k], depth + 1);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const text = await readBodyCapped(req, CONVEX_LIMITS.maxBodyBytes);
  if (text === null) throw new ConvexHttpError(413, 'PayloadTooLarge', `request body larger than ${CONVEX_LIMITS.maxBodyBytes} bytes`);
  return text;
}

/** The repository's reference module, loaded the way convex-test expects (a `_generated` key marks the root). */
async function loadReferenceModule(): Promise<{ schema: unknown; modules: Record<string, () => Promise<unknown>> }> {
  const root = new URL('../../../convex/', import.meta.url);
  const load = (rel: string) => () => import(new URL(rel, root).href) as Promise<unknown>;
  const modules = {
    '/convex/_generated/server.ts': load('_generated/server.ts'),
    '/convex/schema.ts': load('schema.ts'),
    '/convex/sync.ts': load('sync.ts'),
  };
  const schema = ((await modules['/convex/schema.ts']()) as { default: unknown }).default;
  return { schema, modules };
}

function identityFrom(header: string | undefined): Record<string, unknown> | undefined {
  const jwt = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  const payload = jwt?.split('.')[1];
  if (!payload) return undefined;
  // No signature check, as in convex-test: this server is for tests on 127.0.0.1 only.
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export interface ConvexTestServerOptions {
  port?: number;
  /**
   * Hash-index equality lookups in convex-test's fake database (convex-test-index.ts): same
   * results, no full scans, so thousands of ops stay fast. Default true.
   */
  accelerate?: boolean;
}

export async function startConvexTestServer(options: ConvexTestServerOptions = {}): Promise<ConvexTestServer> {
  const { schema, modules } = await loadReferenceModule();
  // transactionLimits: true makes convex-test enforce Convex's per-transaction read/write limits.
  const t = convexTest({ schema: schema as Parameters<typeof convexTest>[0] & object, modules, transactionLimits: true } as never) as ReturnType<typeof convexTest>;
  const accelerated = options.accelerate === false ? false : await accelerateConvexTestIndexes(t);
  const requests = new Map<string, number>();

  const call = async (kind: 'mutation' | 'query', path: string, args: Record<string, unknown>, auth: string | undefined): Promise<unknown> => {
    const identity = identityFrom(auth);
    // convex-test resolves string paths like "sync:pushOps" at run time
    const caller = t as unknown as PathCaller;
    const runner = identity ? caller.withIdentity(identity) : caller;
    return kind === 'mutation' ? runner.mutation(path, args) : runner.query(path, args);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    requests.set(pathname, (requests.get(pathname) ?? 0) + 1);
    const kind = pathname === '/api/mutation' ? 'mutation' : pathname === '/api/query' ? 'query' : undefined;
    if (req.method !== 'POST' || kind === undefined) throw new ConvexHttpError(404, 'NotFound', `${req.method} ${pathname} not found`);
    let body: { path?: unknown; format?: unknown; args?: unknown };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch (err) {
      if (err instanceof ConvexHttpError) throw err;
      throw new ConvexHttpError(400, 'BadJsonBody', 'Failed to parse the request body as JSON');
    }
    if (typeof body.path !== 'string') throw new ConvexHttpError(400, 'BadRequest', 'missing "path"');
    const rawArgs = Array.isArray(body.args) ? body.args[0] : (body.args ?? {});
    const args = jsonToConvex(rawArgs as never) as Record<string, unknown>;
    checkValueLimits(args);
    if (getConvexSize(args as never) > CONVEX_LIMITS.maxArgsBytes) {
      throw new ConvexHttpError(400, 'BadRequest', `Function arguments are too large (limit ${CONVEX_LIMITS.maxArgsBytes} bytes)`);
    }
    const requestId = randomUUID().slice(0, 16);
    try {
      const value = await call(kind, body.path, args, req.headers.authorization);
      sendJson(res, 200, { status: 'success', value: convexToJson(value as never) });
    } catch (err) {
      const e = err as Error & { data?: unknown };
      const isConvexError = typeof err === 'object' && err !== null && Symbol.for('ConvexError') in err;
      // The real backend's shape: a redactable message; structured data survives redaction.
      sendJson(res, 200, {
        status: 'error',
        errorMessage: `[Request ID: ${requestId}] Server Error\nUncaught ${e.name ?? 'Error'}: ${e.message}`,
        ...(isConvexError ? { errorData: convexToJson((e.data ?? null) as never) } : {}),
      });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof ConvexHttpError) sendJson(res, err.status, { code: err.code, message: err.message });
      else sendJson(res, 500, { code: 'OperationalInternalServerError', message: err instanceof Error ? err.message : String(err) });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    t,
    accelerated,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The local reference sync server: node:http on 127.0.0.1 over a SQLite store, speaking the JSON
 * protocol of protocol.ts. `syncdoc serve` runs it in the foreground; `--backend local` without a
 * URL starts it in-process on an ephemeral port with a temporary database. Every request is handled
 * to completion synchronously against SQLite, so pushes never interleave. Errors are JSON bodies
 * `{error:{code,message}}`; requests over the limits get 413 so a client halves its batch.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from '../../snapshot/temp.js';
import { readBodyCapped, sendJson } from '../http-io.js';
import { DEFAULT_LIMITS, parseSeqCursor, type ServerLimits } from '../protocol.js';
import { openSyncStore, type StoreStats } from './store.js';

export interface LocalServerOptions {
  /** 0 (the default) picks a free ephemeral port. */
  port?: number;
  /** SQLite file; omitted means a fresh temporary database removed on close. */
  dbPath?: string;
  host?: string;
  limits?: Partial<ServerLimits>;
}

export interface LocalServer {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  port: number;
  dbPath: string;
  stats(): StoreStats;
  close(): Promise<void>;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Reads the body up to `maxBytes`; a larger one is answered 413. */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const text = await readBodyCapped(req, maxBytes);
  if (text === null) throw new HttpFailure(413, 'too_large', `request body larger than ${maxBytes} bytes`, { maxBodyBytes: maxBytes });
  return text;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpFailure(400, 'bad_json', 'request body is not valid JSON');
  }
}

function parseLimit(raw: unknown, max: number): number {
  if (raw === undefined || raw === null || raw === '') return Math.min(100, max);
  const n = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw new HttpFailure(400, 'bad_limit', 'limit must be a positive integer');
  return Math.min(n, max);
}

export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const tempDir = options.dbPath === undefined ? makeTempDir('syncdoc-serve-') : undefined;
  const dbPath = options.dbPath ?? join(tempDir as string, 'sync.db');
  const store = openSyncStore(dbPath, limits);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    switch (route) {
      case 'POST /push': {
        const body = parseJson(await readBody(req, limits.maxBodyBytes));
        const ops = typeof body === 'object' && body !== null ? (body as { ops?: unknown }).ops : undefined;
        if (!Array.isArray(ops)) throw new HttpFailure(400, 'bad_request', 'body must be {"ops":[…]}');
        if (ops.length > limits.maxOpsPerPush) {
          throw new HttpFailure(413, 'too_many_ops', `more than ${limits.maxOpsPerPush} ops in one push`, { maxOpsPerPush: limits.maxOpsPerPush });
        }
        sendJson(res, 200, { results: store.push(ops) });
        return;
      }
      case 'GET /pull':
      case 'POST /pull': {
        let cursor: unknown = url.searchParams.get('cursor');
        let limit: unknown = url.searchParams.get('limit') ?? undefined;
        if (req.method === 'POST') {
          const body = parseJson((await readBody(req, limits.maxBodyBytes)) || '{}') as { cursor?: unknown; limit?: unknown } | null;
          cursor = body?.cursor ?? null;
          limit = body?.limit;
        }
        const after = parseSeqCursor(cursor);
        if (after === null) throw new HttpFailure(400, 'bad_cursor', 'cursor must be a value returned by /pull');
        sendJson(res, 200, store.pull(after, parseLimit(limit, limits.maxPullLimit)));
        return;
      }
      case 'GET /health':
        sendJson(res, 200, { ok: true, protocol: 1, limits });
        return;
      default:
        throw new HttpFailure(['/push', '/pull', '/health'].includes(url.pathname) ? 405 : 404, 'not_found', `no route ${route}`);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof HttpFailure) sendJson(res, err.status, { error: { code: err.code, message: err.message, ...err.extra } });
      else sendJson(res, 500, { error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } });
    });
  });

  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    store.close();
    if (tempDir) removeTempDir(tempDir);
    throw err;
  }
  const port = (server.address() as AddressInfo).port;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    dbPath,
    stats: () => store.stats(),
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => {
        store.close();
        if (tempDir) removeTempDir(tempDir);
      });
      return closed;
    },
  };
}

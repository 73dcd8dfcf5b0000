/**
 * The `http` backend: syncdoc's JSON sync protocol (see protocol.ts and the README) against any
 * base URL — the local reference server, or an app's own endpoint that implements it. It adds a
 * timeout to every request and labels every failure definite or indefinite (transport.ts); it
 * never retries by itself, because only replay knows what a retry means for its journal.
 */
import { fetchLabelled, transportErrorFromStatus } from './transport.js';
import { BackendTransportError, type Backend, type PullPage, type PushOp, type PushResult } from './types.js';

export interface HttpBackendOptions {
  /** Base URL; `push` and `pull` are resolved below it (`https://app.example/sync` → `…/sync/push`). */
  url: string;
  /** Per request, body included. */
  timeoutMs?: number;
  /** Extra headers, e.g. `authorization` read from an env var by the command. */
  headers?: Record<string, string>;
  /** Reported as the backend kind (`local` when it fronts the in-process server). */
  kind?: 'http' | 'local';
  limits?: Backend['limits'];
}

const STATUSES: ReadonlySet<string> = new Set(['applied', 'duplicate', 'conflict', 'rejected', 'retry']);

function endpoint(base: string, name: string): URL {
  const url = new URL(base);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return new URL(name, url);
}

/** A 200 whose body breaks the protocol: the server may have applied the batch, so indefinite. */
function malformed(what: string, detail: string): BackendTransportError {
  return new BackendTransportError(`${what}: malformed answer: ${detail}`, false, { status: 200, protocol: true });
}

function parseAnswer(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed(what, 'not JSON');
  }
}

function readResults(text: string, ops: readonly PushOp[], what: string): PushResult[] {
  const body = parseAnswer(text, what);
  const results = (body as { results?: unknown } | null)?.results;
  if (!Array.isArray(results) || results.length !== ops.length) {
    throw malformed(what, `expected ${ops.length} results, got ${Array.isArray(results) ? results.length : 'none'}`);
  }
  return results.map((r: unknown, i) => {
    const status = (r as { status?: unknown } | null)?.status;
    if (typeof status !== 'string' || !STATUSES.has(status)) throw malformed(what, `result ${i} has no valid status`);
    // the key is ours: positional results cannot be attributed to another op
    return { ...(r as object), idempotencyKey: ops[i]?.idempotencyKey ?? '' } as PushResult;
  });
}

function readPage(text: string, what: string): PullPage {
  const page = parseAnswer(text, what) as Partial<PullPage> | null;
  if (!page || !Array.isArray(page.changes) || typeof page.cursor !== 'string' || typeof page.hasMore !== 'boolean') {
    throw malformed(what, 'expected {changes, cursor, hasMore}');
  }
  return page as PullPage;
}

export function createHttpBackend(options: HttpBackendOptions): Backend {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pushUrl = endpoint(options.url, 'push');
  const pullUrl = endpoint(options.url, 'pull');
  const headers = { 'content-type': 'application/json', ...options.headers };

  const post = async (url: URL, body: unknown, what: string, signal: AbortSignal | undefined): Promise<string> => {
    const { response, read } = await fetchLabelled(url, { method: 'POST', headers, body: JSON.stringify(body) }, { timeoutMs, signal, what });
    const text = await read();
    if (response.status !== 200) throw transportErrorFromStatus(response.status, response.headers, text, what);
    return text;
  };

  return {
    kind: options.kind ?? 'http',
    ...(options.limits ? { limits: options.limits } : {}),
    async push(ops, opts) {
      if (ops.length === 0) return [];
      const what = `push to ${pushUrl.origin}`;
      return readResults(await post(pushUrl, { ops }, what, opts?.signal), ops, what);
    },
    async pull(cursor, limit, opts) {
      const what = `pull from ${pullUrl.origin}`;
      return readPage(await post(pullUrl, { cursor, limit }, what, opts?.signal), what);
    },
    async close() {},
  };
}

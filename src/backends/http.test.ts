/**
 * How the http client labels what a server does: a scripted node:http server answers each request
 * the way a test tells it, and the client's BackendTransportError must say definite or indefinite,
 * transient, tooLarge, unreachable, exactly as replay relies on.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpBackend } from './http.js';
import { transportFailure } from './testing/transport-failure.js';
import type { PushOp } from './types.js';

type Script = (req: IncomingMessage, body: string, res: ServerResponse) => void;
const servers: Server[] = [];
async function closeServers(): Promise<void> {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
}
afterEach(closeServers);

async function scripted(script: Script): Promise<{ url: string; seen: { path: string; body: string; headers: IncomingMessage['headers'] }[] }> {
  const seen: { path: string; body: string; headers: IncomingMessage['headers'] }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', body, headers: req.headers });
      script(req, body, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const ops: PushOp[] = [
  { idempotencyKey: 'k1', collection: 'c', recordId: 'r1', op: 'create', payload: { a: 1 } },
  { idempotencyKey: 'k2', collection: 'c', recordId: 'r2', op: 'delete', payload: null },
];


function answer(status: number, body: unknown, headers: Record<string, string> = {}): Script {
  return (_req, _body, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

describe('http backend', () => {
  it('posts {ops} below the base URL path and returns one result per op, keyed by its own op', async () => {
    const { url, seen } = await scripted(answer(200, { results: [{ status: 'applied', version: 1 }, { idempotencyKey: 'other', status: 'conflict', reason: 'x' }] }));
    const backend = createHttpBackend({ url: `${url}/api/sync`, headers: { authorization: 'Bearer t' } });
    expect(await backend.push(ops)).toEqual([
      { idempotencyKey: 'k1', status: 'applied', version: 1 },
      { idempotencyKey: 'k2', status: 'conflict', reason: 'x' },
    ]);
    expect(seen[0]?.path).toBe('/api/sync/push');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ ops });
    expect(seen[0]?.headers.authorization).toBe('Bearer t');
    expect(await backend.push([])).toEqual([]);
    expect(seen).toHaveLength(1);
  });

  it('pulls with {cursor, limit}', async () => {
    const page = { changes: [{ collection: 'c', recordId: 'r', version: 1, deleted: false, data: {}, updatedAt: null }], cursor: '9', hasMore: true };
    const { url, seen } = await scripted(answer(200, page));
    expect(await createHttpBackend({ url }).pull('3', 50)).toEqual(page);
    expect(seen[0]?.path).toBe('/pull');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ cursor: '3', limit: 50 });
  });

  it.each([
    [429, { 'retry-after': '2' }, { definite: true, transient: true, retryAfterMs: 2000 }],
    [503, { 'retry-after': '0.5' }, { definite: true, transient: true, retryAfterMs: 500 }],
    [503, {}, { definite: true, transient: true }],
    [408, {}, { definite: true, transient: true }],
    [413, {}, { definite: true, tooLarge: true }],
    [400, {}, { definite: true, protocol: true }],
    [404, {}, { definite: true, protocol: true }],
    [500, {}, { definite: false }],
    [502, {}, { definite: false }],
    [504, {}, { definite: false }],
  ] as const)('labels HTTP %i', async (status, headers, expected) => {
    const { url } = await scripted(answer(status, { error: { code: 'x', message: 'y' } }, headers));
    const err = await transportFailure(createHttpBackend({ url }).push(ops));
    const { definite, ...details } = expected;
    expect(err.definite).toBe(definite);
    expect(err.details).toMatchObject({ status, ...details });
    if (!('transient' in expected)) expect(err.details.transient).toBeUndefined();
  });

  it('reads Retry-After given as an HTTP date', async () => {
    const when = new Date(Date.now() + 60_000).toUTCString();
    const { url } = await scripted(answer(429, '', { 'retry-after': when }));
    const err = await transportFailure(createHttpBackend({ url }).push(ops));
    expect(err.details.retryAfterMs).toBeGreaterThan(50_000);
  });

  it('labels a malformed 200 or a wrong number of results as indefinite (the server may have applied it)', async () => {
    for (const body of ['not json', { results: [{ status: 'applied', version: 1 }] }, { results: [{ status: 'ok' }, { status: 'applied' }] }, { nope: 1 }]) {
      const { url } = await scripted(answer(200, body));
      const err = await transportFailure(createHttpBackend({ url }).push(ops));
      expect([err.definite, err.details.protocol]).toEqual([false, true]);
    }
  });

  it('labels a connection reset after sending as indefinite', async () => {
    const { url, seen } = await scripted((req) => req.socket.destroy());
    const err = await transportFailure(createHttpBackend({ url }).push(ops));
    expect(seen).toHaveLength(1);
    expect(err.definite).toBe(false);
    expect(err.details.unreachable).toBeUndefined();
  });

  it('labels no answer within the timeout as indefinite, and a stalled body too', async () => {
    const silent = await scripted(() => {});
    const err = await transportFailure(createHttpBackend({ url: silent.url, timeoutMs: 100 }).push(ops));
    expect([err.definite, err.details.timedOut]).toEqual([false, true]);
    const stalled = await scripted((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"results":[');
    });
    const err2 = await transportFailure(createHttpBackend({ url: stalled.url, timeoutMs: 100 }).push(ops));
    expect([err2.definite, err2.details.timedOut]).toEqual([false, true]);
  });

  it("labels the caller's abort as indefinite and aborted", async () => {
    const { url } = await scripted(() => {});
    const controller = new AbortController();
    const pending = createHttpBackend({ url }).push(ops, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const err = await transportFailure(pending);
    expect([err.definite, err.details.aborted]).toEqual([false, true]);
  });

  it('labels a refused connection and an unknown host as definite and unreachable', async () => {
    const { url } = await scripted(() => {});
    const port = new URL(url).port;
    await closeServers();
    for (const target of [`http://127.0.0.1:${port}`, 'http://no-such-host.invalid']) {
      const err = await transportFailure(createHttpBackend({ url: target, timeoutMs: 10_000 }).push(ops));
      expect([err.definite, err.details.unreachable]).toEqual([true, true]);
    }
  });
});


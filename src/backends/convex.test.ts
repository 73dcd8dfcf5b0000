/**
 * The convex backend beyond the shared contract: the exact requests the unmodified
 * ConvexHttpClient sends, how Convex's success/error bodies and HTTP statuses are labelled, the
 * value limits the loopback server enforces, and the reference module's own per-op validation
 * (called directly through convex-test, since the client already refuses malformed ops).
 */
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createConvexBackend } from './convex.js';
import { startConvexTestServer, type ConvexTestServer } from './testing/convex-server.js';
import { REPO_ROOT } from '../test-support/cli.js';
import { transportFailure } from './testing/transport-failure.js';
import type { PushOp } from './types.js';

const servers: Server[] = [];
const loopbacks: ConvexTestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  for (const l of loopbacks.splice(0)) await l.close();
});

interface Seen {
  path: string;
  body: { path?: string; format?: string; args?: unknown };
  headers: IncomingMessage['headers'];
}

async function scripted(status: number, body: unknown, headers: Record<string, string> = {}): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', body: JSON.parse(text) as Seen['body'], headers: req.headers });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function loopback(): Promise<ConvexTestServer> {
  const l = await startConvexTestServer();
  loopbacks.push(l);
  return l;
}

const ops: PushOp[] = [
  { idempotencyKey: 'k1', collection: 'notes', recordId: 'r1', op: 'create', payload: { title: 'a', n: 1 }, updatedAt: 1700000000000 },
  { idempotencyKey: 'k2', collection: 'notes', recordId: 'r1', op: 'delete', payload: null, baseVersion: 1 },
];


describe('convex backend: the wire', () => {
  it('calls the push mutation by name with convex_encoded_json args, the client header and the bearer token', async () => {
    const { url, seen } = await scripted(200, { status: 'success', value: [{ status: 'applied', version: 1 }, { status: 'applied', version: 2 }] });
    const backend = createConvexBackend({ url: `${url}/`, authToken: 'jwt.token.sig', pushFunction: 'replication:push' });
    expect(await backend.push(ops)).toEqual([
      { idempotencyKey: 'k1', status: 'applied', version: 1 },
      { idempotencyKey: 'k2', status: 'applied', version: 2 },
    ]);
    expect(seen[0]?.path).toBe('/api/mutation');
    expect(seen[0]?.body).toEqual({
      path: 'replication:push',
      format: 'convex_encoded_json',
      args: [
        {
          ops: [
            { collection: 'notes', idempotencyKey: 'k1', op: 'create', payload: { n: 1, title: 'a' }, recordId: 'r1', updatedAt: 1700000000000 },
            { baseVersion: 1, collection: 'notes', idempotencyKey: 'k2', op: 'delete', payload: null, recordId: 'r1' },
          ],
        },
      ],
    });
    expect(seen[0]?.headers['convex-client']).toMatch(/^npm-\d+\.\d+\.\d+/);
    expect(seen[0]?.headers.authorization).toBe('Bearer jwt.token.sig');
  });

  it('calls the changes query by name with {cursor, limit}', async () => {
    const { url, seen } = await scripted(200, { status: 'success', value: { changes: [], cursor: '5:0', hasMore: false } });
    expect(await createConvexBackend({ url }).pull('4:2', 10)).toEqual({ changes: [], cursor: '5:0', hasMore: false });
    expect(seen[0]?.path).toBe('/api/query');
    expect(seen[0]?.body).toMatchObject({ path: 'sync:changesSince', args: [{ cursor: '4:2', limit: 10 }] });
  });

  it('answers ops that are not Convex values as rejected without sending them, and sends the rest', async () => {
    const { url, seen } = await scripted(200, { status: 'success', value: [{ status: 'applied', version: 1 }] });
    const bad = { ...ops[0], idempotencyKey: 'kb', payload: { $weird: 1 } } as PushOp;
    const results = await createConvexBackend({ url }).push([bad, ops[0] as PushOp]);
    expect(results.map((r) => [r.idempotencyKey, r.status])).toEqual([
      ['kb', 'rejected'],
      ['k1', 'applied'],
    ]);
    expect((seen[0]?.body.args as { ops: unknown[] }[])[0]?.ops).toHaveLength(1);
  });

  it.each([
    ['a ConvexError {kind:"tooLarge"}', 200, { status: 'error', errorMessage: '[Request ID: 1] Server Error', errorData: { kind: 'tooLarge' } }, { definite: true, tooLarge: true }],
    ['a Convex limit error text', 200, { status: 'error', errorMessage: 'Server Error\nUncaught Error: Too many reads in a single function execution' }, { definite: true, tooLarge: true }],
    ['a function error', 200, { status: 'error', errorMessage: '[Request ID: 2] Server Error' }, { definite: true, protocol: true }],
    ['a function error on HTTP 560', 560, { status: 'error', errorMessage: '[Request ID: 3] Server Error' }, { definite: true, protocol: true }],
    ['429 RateLimited', 429, { code: 'RateLimited', message: 'TooManyWrites' }, { definite: true, transient: true, status: 429 }],
    ['503 OCC failure', 503, { code: 'OptimisticConcurrencyControlFailure', message: 'x' }, { definite: true, transient: true, status: 503 }],
    ['400 array too long', 400, { code: 'BadRequest', message: 'Array length is too long (9000 > maximum length 8192)' }, { definite: true, tooLarge: true, status: 400 }],
    ['400 other', 400, { code: 'BadRequest', message: 'bad' }, { definite: true, protocol: true, status: 400 }],
    ['500', 500, { code: 'OperationalInternalServerError', message: 'x' }, { definite: false, status: 500 }],
    ['a 200 that is not JSON', 200, 'garbage', { definite: false, protocol: true }],
    ['a success with the wrong number of results', 200, { status: 'success', value: [] }, { definite: false, protocol: true }],
  ] as const)('labels %s', async (_name, status, body, expected) => {
    const { url } = await scripted(status, body);
    const err = await transportFailure(createConvexBackend({ url }).push(ops));
    const { definite, ...details } = expected;
    expect(err.definite).toBe(definite);
    expect(err.details).toMatchObject(details);
  });

  it('labels a timeout as indefinite', async () => {
    const server = createServer(() => {});
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const err = await transportFailure(createConvexBackend({ url, timeoutMs: 100 }).push(ops));
    expect([err.definite, err.details.timedOut]).toEqual([false, true]);
  });
});

describe('convex backend: the loopback server and the reference module', { timeout: 60_000 }, () => {
  it("answers Convex's array limit as BadRequest, which the client labels tooLarge", async () => {
    const l = await loopback();
    const many = Array.from({ length: 8193 }, (_, i) => ({ ...ops[0], idempotencyKey: `m${i}`, recordId: `m${i}` }) as PushOp);
    const err = await transportFailure(createConvexBackend({ url: l.url }).push(many));
    expect(err.details).toMatchObject({ status: 400, tooLarge: true });
    expect(l.requests.get('/api/mutation')).toBe(1);
  });

  it('answers an unknown function as a definite function error, and an unknown route as 404', async () => {
    const l = await loopback();
    const err = await transportFailure(createConvexBackend({ url: l.url, pushFunction: 'sync:nope' }).push(ops));
    expect([err.definite, err.details.protocol]).toEqual([true, true]);
    expect((await fetch(`${l.url}/api/other`, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('rejects a cursor it did not make as a definite error', async () => {
    const l = await loopback();
    const err = await transportFailure(createConvexBackend({ url: l.url }).pull('not-a-cursor', 10));
    expect(err.definite).toBe(true);
  });

  it('pushOps itself rejects malformed ops one by one and records only applied keys in the ledger', async () => {
    const l = await loopback();
    const call = l.t as unknown as { mutation(path: string, args: object): Promise<{ status: string; reason?: string }[]> };
    const results = await call.mutation('sync:pushOps', {
      ops: [
        'not an op',
        { idempotencyKey: '', collection: 'c', recordId: 'r', op: 'create', payload: {} },
        { idempotencyKey: 'a', collection: 'c', recordId: 'r', op: 'merge', payload: {} },
        { idempotencyKey: 'b', collection: 'c', recordId: 'r', op: 'update', payload: [1] },
        { idempotencyKey: 'c', collection: 'c', recordId: 'r', op: 'create', payload: { constructor: 1 } },
        { idempotencyKey: 'd', collection: 'c', recordId: 'r', op: 'create', payload: {}, baseVersion: 1.5 },
        { idempotencyKey: 'e', collection: 'c', recordId: 'r', op: 'create', payload: {}, updatedAt: 'yesterday' },
        { idempotencyKey: 'f', collection: 'c', recordId: 'r', op: 'create', payload: { ok: true } },
        { idempotencyKey: 'g', collection: 'c', recordId: 'r', op: 'create', payload: { ok: true } },
      ],
    });
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'applied', 'conflict']);
    const ledger = await l.t.run(async (ctx) => (await ctx.db.query('syncOps' as never).collect()).map((d) => (d as { key: string }).key));
    expect(ledger).toEqual(['f']);
  });

  it('refuses a batch over its op limit with ConvexError {kind:"tooLarge"}, writing nothing', async () => {
    const l = await loopback();
    const many = Array.from({ length: 1001 }, (_, i) => ({ ...ops[0], idempotencyKey: `m${i}`, recordId: `m${i}` }) as PushOp);
    const err = await transportFailure(createConvexBackend({ url: l.url }).push(many));
    expect([err.definite, err.details.tooLarge]).toEqual([true, true]);
    expect(await l.t.run(async (ctx) => (await ctx.db.query('syncRecords' as never).collect()).length)).toBe(0);
  });
});

describe('the reference module in convex/', { timeout: 60_000 }, () => {
  it('typechecks strictly on its own tsconfig (as an app would compile it)', () => {
    const tsc = spawnSync(process.execPath, [`${REPO_ROOT}/node_modules/typescript/bin/tsc`, '-p', `${REPO_ROOT}/convex`], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});

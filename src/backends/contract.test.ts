/**
 * The backend contract: one suite, run against every backend kind. `local` is the reference server
 * started in-process (what `--backend local` embeds); `http` is the same protocol against a
 * separately spawned `syncdoc serve` process; `convex` is the real ConvexHttpClient against the
 * repository's convex/ module running in convex-test behind a loopback server speaking Convex's
 * HTTP API. Each test gets a fresh server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createConvexBackend } from './convex.js';
import { createHttpBackend } from './http.js';
import { openBackend } from './open.js';
import { startLocalServer } from './local/server.js';
import { startConvexTestServer } from './testing/convex-server.js';
import { pullAll } from './testing/pull-all.js';
import { startServeProcess } from './testing/serve-process.js';
import { BackendTransportError, type Backend, type PushOp, type PushResult } from './types.js';

interface Running {
  /** A new client to the same server (a "reconnect"). */
  connect(): Backend;
  close(): Promise<void>;
}

const HARNESSES: { name: Backend['kind']; start(): Promise<Running> }[] = [
  {
    name: 'local',
    async start() {
      const server = await startLocalServer();
      return { connect: () => createHttpBackend({ url: server.url, kind: 'local' }), close: () => server.close() };
    },
  },
  {
    name: 'http',
    async start() {
      const proc = await startServeProcess();
      return { connect: () => createHttpBackend({ url: proc.url }), close: async () => void (await proc.stop()) };
    },
  },
  {
    name: 'convex',
    async start() {
      const server = await startConvexTestServer();
      return { connect: () => createConvexBackend({ url: server.url }), close: () => server.close() };
    },
  },
];

let keySeq = 0;
function op(recordId: string, kind: PushOp['op'], payload: Record<string, unknown> | null, extra: Partial<PushOp> = {}): PushOp {
  return { idempotencyKey: `k-${++keySeq}`, collection: 'notes', recordId, op: kind, payload, ...extra };
}

function statuses(results: PushResult[]): string[] {
  return results.map((r) => r.status);
}


for (const harness of HARNESSES) {
  // the http run spawns a process per test: generous timeouts for a loaded machine
  describe(`backend contract: ${harness.name}`, { timeout: 60_000 }, () => {
    let running: Running | undefined;
    const start = async (): Promise<Backend> => {
      running = await harness.start();
      return running.connect();
    };
    afterEach(async () => {
      await running?.close();
      running = undefined;
    });

    it('applies an op once and answers its key duplicate afterwards, in the same batch and later', async () => {
      const backend = await start();
      const create = op('r1', 'create', { title: 'a' });
      const first = await backend.push([create, create]);
      expect(first).toEqual([
        { idempotencyKey: create.idempotencyKey, status: 'applied', version: 1 },
        { idempotencyKey: create.idempotencyKey, status: 'duplicate', version: 1 },
      ]);
      expect(await backend.push([create])).toEqual([{ idempotencyKey: create.idempotencyKey, status: 'duplicate', version: 1 }]);
      expect(await pullAll(backend)).toEqual([
        { collection: 'notes', recordId: 'r1', version: 1, deleted: false, data: { title: 'a' }, updatedAt: null },
      ]);
    });

    it('answers one result per op, in order, and applies updates as patches and deletes as tombstones', async () => {
      const backend = await start();
      const ops = [
        op('a', 'create', { title: 'A', n: 1 }, { updatedAt: 1000 }),
        op('b', 'create', { title: 'B' }),
        op('a', 'update', { n: 2 }, { baseVersion: 1, updatedAt: 2000 }),
        op('b', 'delete', null, { baseVersion: 1 }),
      ];
      const results = await backend.push(ops);
      expect(results.map((r) => [r.idempotencyKey, r.status, 'version' in r ? r.version : null])).toEqual([
        [ops[0]?.idempotencyKey, 'applied', 1],
        [ops[1]?.idempotencyKey, 'applied', 1],
        [ops[2]?.idempotencyKey, 'applied', 2],
        [ops[3]?.idempotencyKey, 'applied', 2],
      ]);
      const byId = Object.fromEntries((await pullAll(backend)).map((c) => [c.recordId, c]));
      expect(byId['a']).toEqual({ collection: 'notes', recordId: 'a', version: 2, deleted: false, data: { title: 'A', n: 2 }, updatedAt: 2000 });
      expect(byId['b']).toMatchObject({ version: 2, deleted: true, data: null });
    });

    it('answers conflicts by version and updated_at without changing the record', async () => {
      const backend = await start();
      await backend.push([op('r', 'create', { v: 1 }, { updatedAt: 5000 }), op('gone', 'create', {}), op('gone', 'delete', null)]);
      const results = await backend.push([
        op('r', 'create', { v: 9 }),
        op('r', 'update', { v: 9 }, { baseVersion: 7 }),
        op('r', 'update', { v: 9 }, { updatedAt: 4000 }),
        op('missing', 'update', { v: 9 }),
        op('gone', 'update', { v: 9 }),
        op('missing', 'delete', null),
      ]);
      expect(statuses(results)).toEqual(['conflict', 'conflict', 'conflict', 'conflict', 'conflict', 'conflict']);
      expect(results[0]).toMatchObject({ serverVersion: 1 });
      expect(results[1]).toMatchObject({ serverVersion: 1 });
      expect(results[4]).toMatchObject({ serverVersion: 2 });
      for (const r of results) expect(r.status === 'conflict' && r.reason.length > 0).toBe(true);
      const r = (await pullAll(backend)).find((c) => c.recordId === 'r');
      expect(r).toMatchObject({ version: 1, data: { v: 1 }, updatedAt: 5000 });
      // A conflict is not remembered: once the base matches, the same key applies.
      const retried = { ...op('r', 'update', { v: 2 }), baseVersion: 1 };
      expect(statuses(await backend.push([{ ...retried, baseVersion: 9 }]))).toEqual(['conflict']);
      expect(statuses(await backend.push([retried]))).toEqual(['applied']);
    });

    it('rejects malformed ops one by one and still applies the rest of the batch', async () => {
      const backend = await start();
      const good1 = op('ok1', 'create', { t: 1 });
      const good2 = op('ok2', 'create', { t: 2 });
      const bad: unknown[] = [
        { collection: 'notes', recordId: 'x', op: 'create', payload: {} },
        { idempotencyKey: 'b2', collection: 'notes', recordId: 'x', op: 'upsert', payload: {} },
        { idempotencyKey: 'b3', collection: 'notes', recordId: 'x', op: 'create', payload: [1, 2] },
        { idempotencyKey: 'b4', collection: 'notes', recordId: '', op: 'create', payload: {} },
        { idempotencyKey: 'b5', collection: 'notes', recordId: 'x', op: 'update', payload: {}, baseVersion: -1 },
        { idempotencyKey: 'b6', collection: 'notes', recordId: 'x', op: 'create', payload: JSON.parse('{"__proto__":{"admin":true}}') as unknown },
        { idempotencyKey: 'b7', collection: 'notes', recordId: 'x', op: 'create', payload: null },
      ];
      const results = await backend.push([good1, ...(bad as PushOp[]), good2]);
      expect(statuses(results)).toEqual(['applied', ...bad.map(() => 'rejected'), 'applied']);
      expect(results.map((r) => r.idempotencyKey)).toEqual([good1.idempotencyKey, '', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', good2.idempotencyKey]);
      for (const r of results.slice(1, -1)) expect(r.status === 'rejected' && r.reason.length > 0).toBe(true);
      expect((await pullAll(backend)).map((c) => c.recordId).sort()).toEqual(['ok1', 'ok2']);
    });

    it('rejects an idempotency key reused for another record', async () => {
      const backend = await start();
      const first = op('r1', 'create', {});
      await backend.push([first]);
      const [result] = await backend.push([{ ...first, recordId: 'r2' }]);
      expect(result).toMatchObject({ idempotencyKey: first.idempotencyKey, status: 'rejected' });
      expect((await pullAll(backend)).map((c) => c.recordId)).toEqual(['r1']);
    });

    it('pages through changes with a stable cursor and shows later writes after the last cursor', async () => {
      const backend = await start();
      const ids = Array.from({ length: 25 }, (_, i) => `r${String(i).padStart(2, '0')}`);
      for (let i = 0; i < ids.length; i += 9) await backend.push(ids.slice(i, i + 9).map((id) => op(id, 'create', { id })));
      const empty = await backend.pull(null, 10);
      expect(empty.changes.length).toBe(10);
      const pages = [];
      let cursor: string | null = null;
      const cursors: (string | null)[] = [];
      for (;;) {
        cursors.push(cursor);
        const page = await backend.pull(cursor, 10);
        pages.push(page);
        cursor = page.cursor;
        if (!page.hasMore) break;
      }
      expect(pages.map((p) => [p.changes.length, p.hasMore])).toEqual([
        [10, true],
        [10, true],
        [5, false],
      ]);
      expect(pages.flatMap((p) => p.changes.map((c) => c.recordId))).toEqual(ids);
      // the same cursor gives the same page
      expect(await backend.pull(cursors[1] ?? null, 10)).toEqual(pages[1]);
      // nothing new after the last cursor, then exactly the new writes, in commit order
      expect(await backend.pull(cursor, 10)).toMatchObject({ changes: [], hasMore: false });
      await backend.push([op('r03', 'update', { extra: true }), op('new', 'create', {})]);
      const after = await backend.pull(cursor, 10);
      expect(after.changes.map((c) => [c.recordId, c.version])).toEqual([
        ['r03', 2],
        ['new', 1],
      ]);
      expect(after.hasMore).toBe(false);
    });

    it('keeps keys across reconnects: a new client gets duplicate for ops another client applied', async () => {
      const backend = await start();
      const ops = [op('r1', 'create', { a: 1 }), op('r1', 'update', { a: 2 }), op('r2', 'create', {})];
      expect(statuses(await backend.push(ops))).toEqual(['applied', 'applied', 'applied']);
      await backend.close();
      const again = running!.connect();
      expect(await again.push(ops)).toEqual([
        { idempotencyKey: ops[0]?.idempotencyKey, status: 'duplicate', version: 1 },
        { idempotencyKey: ops[1]?.idempotencyKey, status: 'duplicate', version: 2 },
        { idempotencyKey: ops[2]?.idempotencyKey, status: 'duplicate', version: 1 },
      ]);
      expect(statuses(await again.push([op('r2', 'delete', null)]))).toEqual(['applied']);
      expect((await pullAll(again)).map((c) => [c.recordId, c.version, c.deleted])).toEqual([
        ['r1', 2, false],
        ['r2', 2, true],
      ]);
    });

    it('answers a batch over its limit as tooLarge (definite) and applies none of it', async () => {
      const backend = await start();
      const ops = Array.from({ length: 1001 }, (_, i) => op(`big${i}`, 'create', {}));
      const err = await backend.push(ops).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BackendTransportError);
      expect((err as BackendTransportError).definite).toBe(true);
      expect((err as BackendTransportError).details.tooLarge).toBe(true);
      expect(await pullAll(backend)).toEqual([]);
    });

    it('labels a server that is gone as definite and unreachable', async () => {
      const backend = await start();
      await running!.close();
      running = undefined;
      const err = await backend.push([op('r', 'create', {})]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendTransportError);
      expect((err as BackendTransportError).definite).toBe(true);
      expect((err as BackendTransportError).details.unreachable).toBe(true);
    });
  });
}

describe('openBackend', () => {
  it('starts the embedded local server when --backend local has no url, and stops it on close', async () => {
    const { backend, embedded } = await openBackend({ kind: 'local' });
    expect(backend.kind).toBe('local');
    expect(embedded?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(statuses(await backend.push([op('e', 'create', {})]))).toEqual(['applied']);
    await backend.close();
    const err = await createHttpBackend({ url: embedded!.url }).pull(null, 1).catch((e: unknown) => e);
    expect((err as BackendTransportError).details.unreachable).toBe(true);
  });

  it('requires a url for http and convex', async () => {
    await expect(openBackend({ kind: 'http' })).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(openBackend({ kind: 'convex' })).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});

/**
 * The fault proxy: same seed, same decisions; the ratios it is given are the ratios it applies;
 * each fault has the effect the replay labels assume (dropped request: not applied; dropped
 * response: applied; double delivery: applied once; 429/503 definite, 500 indefinite); and a naive
 * resend-with-the-same-key client gets exactly-once through heavy faults on local and convex.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createConvexBackend } from '../convex.js';
import { createHttpBackend } from '../http.js';
import { startLocalServer } from '../local/server.js';
import { BackendTransportError, type Backend, type PushOp, type PushResult } from '../types.js';
import { startConvexTestServer } from './convex-server.js';
import { startFaultProxy, type FaultProxy, type FaultRatios } from './fault-proxy.js';
import { pullAll } from './pull-all.js';
import { transportFailure } from './transport-failure.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function localBehind(ratios: FaultRatios & { delayMsMax?: number }, seed = 1): Promise<{ backend: Backend; direct: Backend; proxy: FaultProxy }> {
  const server = await startLocalServer();
  closers.push(() => server.close());
  const proxy = await startFaultProxy({ upstream: server.url, seed, ...ratios });
  closers.push(() => proxy.close());
  return { backend: createHttpBackend({ url: proxy.url, timeoutMs: 5000 }), direct: createHttpBackend({ url: server.url }), proxy };
}

const create = (id: string): PushOp => ({ idempotencyKey: `key-${id}`, collection: 'c', recordId: id, op: 'create', payload: { id } });

// Hundreds of real requests each: generous timeouts for a loaded machine (no timing is asserted).
describe('fault proxy', { timeout: 120_000 }, () => {
  it('takes the same decisions for the same seed, different ones for another seed', async () => {
    const ratios = { dropRequest: 0.2, dropResponse: 0.2, deliverTwice: 0.05, answer503: 0.05 };
    const runs: string[][] = [];
    for (const seed of [7, 7, 8]) {
      const { backend, proxy } = await localBehind(ratios, seed);
      for (let i = 0; i < 60; i++) await backend.pull(null, 1).catch(() => undefined);
      runs.push([...proxy.decisions()]);
    }
    expect(runs[0]).toHaveLength(60);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).not.toEqual(runs[0]);
  });

  it('applies the ratios it is given and counts each fault', async () => {
    const { backend, proxy } = await localBehind({ dropRequest: 0.2, dropResponse: 0.2, deliverTwice: 0.05, answer500: 0.05, delay: 0.1, delayMsMax: 2 }, 42);
    for (let i = 0; i < 400; i++) await backend.pull(null, 1).catch(() => undefined);
    const counts = proxy.counts();
    const decisions = proxy.decisions();
    expect(counts.requests).toBe(400);
    for (const kind of ['dropRequest', 'dropResponse', 'deliverTwice', 'answer500'] as const) {
      expect(counts[kind]).toBe(decisions.filter((d) => d === kind).length);
    }
    // ratios over 400 requests from a fixed seed (not a timing): loose bounds around 20 % and 5 %
    expect(counts.dropRequest).toBeGreaterThan(50);
    expect(counts.dropRequest).toBeLessThan(110);
    expect(counts.dropResponse).toBeGreaterThan(50);
    expect(counts.dropResponse).toBeLessThan(110);
    expect(counts.deliverTwice).toBeGreaterThan(5);
    expect(counts.answer500).toBeGreaterThan(5);
    expect(counts.delayed).toBeGreaterThan(10);
    expect(counts.forwarded).toBe(400 - counts.dropRequest - counts.answer500 + counts.deliverTwice);
  });

  it('drops a request before the server sees it: indefinite for the client, nothing applied', async () => {
    const { backend, direct } = await localBehind({ dropRequest: 1 });
    const err = await transportFailure(backend.push([create('a')]));
    expect(err.definite).toBe(false);
    expect((await direct.pull(null, 10)).changes).toEqual([]);
  });

  it('drops a response after the server applied it: indefinite, and the resend is a duplicate', async () => {
    const { backend, direct } = await localBehind({ dropResponse: 1 });
    const err = await transportFailure(backend.push([create('a')]));
    expect(err.definite).toBe(false);
    expect((await direct.pull(null, 10)).changes.map((c) => c.recordId)).toEqual(['a']);
    expect((await direct.push([create('a')]))[0]?.status).toBe('duplicate');
  });

  it('delivers twice: the server applies once and the client sees the second answer', async () => {
    const { backend, direct, proxy } = await localBehind({ deliverTwice: 1 });
    expect(await backend.push([create('a')])).toEqual([{ idempotencyKey: 'key-a', status: 'duplicate', version: 1 }]);
    expect(proxy.counts().forwarded).toBe(2);
    expect((await direct.pull(null, 10)).changes).toHaveLength(1);
  });

  it('answers 429 and 503 as definite transient failures with Retry-After, and 500 as indefinite', async () => {
    for (const [ratios, status, definite] of [
      [{ answer429: 1 }, 429, true],
      [{ answer503: 1 }, 503, true],
      [{ answer500: 1 }, 500, false],
      [{ answer500AfterApply: 1 }, 500, false],
    ] as const) {
      const { backend, direct } = await localBehind(ratios);
      const err = await transportFailure(backend.push([create('a')]));
      expect([err.details.status, err.definite]).toEqual([status, definite]);
      if (definite) expect(err.details).toMatchObject({ transient: true, retryAfterMs: 0 });
      const applied = (await direct.pull(null, 10)).changes.length;
      expect(applied).toBe('answer500AfterApply' in ratios ? 1 : 0);
    }
  });

  it('faults only the listed paths, and stops faulting when disabled', async () => {
    const server = await startLocalServer();
    closers.push(() => server.close());
    const proxy = await startFaultProxy({ upstream: server.url, seed: 3, dropRequest: 1, paths: ['/push'] });
    closers.push(() => proxy.close());
    const backend = createHttpBackend({ url: proxy.url });
    expect((await backend.pull(null, 1)).changes).toEqual([]);
    await transportFailure(backend.push([create('a')]));
    proxy.setEnabled(false);
    expect((await backend.push([create('a')]))[0]?.status).toBe('applied');
  });

  it('refuses ratios outside 0..1 or summing past 1', async () => {
    await expect(startFaultProxy({ upstream: 'http://127.0.0.1:1', seed: 1, dropRequest: 1.5 })).rejects.toThrow(/within 0..1/);
    await expect(startFaultProxy({ upstream: 'http://127.0.0.1:1', seed: 1, dropRequest: 0.6, dropResponse: 0.6 })).rejects.toThrow(/sum/);
  });
});

/**
 * A small exactly-once run per backend kind: a naive client that re-sends every op with the same
 * key until it is applied or duplicate, through heavy faults. The server must end with exactly one
 * application per op (each record's version counts the ops applied to it).
 */
describe('exactly once through faults', { timeout: 120_000 }, () => {
  const kinds: { name: string; start(): Promise<{ url: string; connect(url: string): Backend }> }[] = [
    {
      name: 'local',
      async start() {
        const s = await startLocalServer();
        closers.push(() => s.close());
        return { url: s.url, connect: (url) => createHttpBackend({ url, timeoutMs: 5000 }) };
      },
    },
    {
      name: 'convex',
      async start() {
        const s = await startConvexTestServer();
        closers.push(() => s.close());
        return { url: s.url, connect: (url) => createConvexBackend({ url, timeoutMs: 5000 }) };
      },
    },
  ];
  for (const kind of kinds) {
    it(`${kind.name}: 120 ops in batches of 8 arrive exactly once`, async () => {
      const upstream = await kind.start();
      const proxy = await startFaultProxy({
        upstream: upstream.url,
        seed: 2024,
        dropRequest: 0.2,
        dropResponse: 0.2,
        deliverTwice: 0.05,
        answer503: 0.05,
        answer500AfterApply: 0.05,
      });
      closers.push(() => proxy.close());
      const backend = upstream.connect(proxy.url);
      // 40 records, each created then updated twice: versions must end at exactly 3.
      const ops: PushOp[] = [];
      for (let r = 0; r < 40; r++) ops.push(create(`r${r}`));
      for (let round = 1; round <= 2; round++) {
        for (let r = 0; r < 40; r++) ops.push({ idempotencyKey: `u${round}-r${r}`, collection: 'c', recordId: `r${r}`, op: 'update', payload: { round } });
      }
      const outcome = new Map<string, PushResult['status']>();
      for (let i = 0; i < ops.length; i += 8) {
        const batch = ops.slice(i, i + 8);
        for (let attempt = 0; ; attempt++) {
          expect(attempt).toBeLessThan(200);
          try {
            const results = await backend.push(batch);
            results.forEach((r) => outcome.set(r.idempotencyKey, r.status));
            break;
          } catch (err) {
            expect(err).toBeInstanceOf(BackendTransportError);
          }
        }
      }
      expect([...outcome.values()].every((s) => s === 'applied' || s === 'duplicate')).toBe(true);
      const changes = await pullAll(upstream.connect(upstream.url), 25);
      expect(changes).toHaveLength(40);
      expect(changes.every((c) => c.version === 3 && (c.data as { round?: number }).round === 2)).toBe(true);
      const counts = proxy.counts();
      expect(counts.dropRequest + counts.dropResponse).toBeGreaterThan(0);
    });
  }
});

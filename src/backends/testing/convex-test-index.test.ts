/**
 * The convex-test index acceleration must not change a single answer: the same op sequences are
 * pushed (in batches that create and then touch the same record inside one mutation, so lookups
 * see the open transaction's writes) to an accelerated and a plain server, and every result and the
 * final pulled state must be equal.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createConvexBackend } from '../convex.js';
import type { PushOp } from '../types.js';
import { startConvexTestServer, type ConvexTestServer } from './convex-server.js';
import { pullAll } from './pull-all.js';

const servers: ConvexTestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const opArb = fc.record({
  key: fc.integer({ min: 0, max: 30 }),
  record: fc.constantFrom('a', 'b', 'c', 'd'),
  collection: fc.constantFrom('notes', 'moods'),
  op: fc.constantFrom<PushOp['op']>('create', 'update', 'delete'),
  baseVersion: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  n: fc.integer({ min: 0, max: 9 }),
});

describe('convex-test index acceleration', { timeout: 120_000 }, () => {
  it('is active by default and can be turned off', async () => {
    const on = await startConvexTestServer();
    const off = await startConvexTestServer({ accelerate: false });
    servers.push(on, off);
    expect([on.accelerated, off.accelerated]).toEqual([true, false]);
  });

  it('gives the same results and the same final state as plain convex-test', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), async (batches) => {
        const fast = await startConvexTestServer();
        const plain = await startConvexTestServer({ accelerate: false });
        servers.push(fast, plain);
        const a = createConvexBackend({ url: fast.url });
        const b = createConvexBackend({ url: plain.url });
        for (const batch of batches) {
          const ops: PushOp[] = batch.map((o) => ({
            idempotencyKey: `k${o.key}`,
            collection: o.collection,
            recordId: o.record,
            op: o.op,
            payload: o.op === 'delete' ? null : { n: o.n },
            ...(o.baseVersion === undefined ? {} : { baseVersion: o.baseVersion }),
          }));
          expect(await a.push(ops)).toEqual(await b.push(ops));
        }
        const strip = (changes: Awaited<ReturnType<typeof pullAll>>) => changes.map((c) => JSON.stringify(c)).sort();
        expect(strip(await pullAll(a, 3))).toEqual(strip(await pullAll(b, 3)));
        await fast.close();
        await plain.close();
        servers.splice(0);
      }),
      { numRuns: 25 },
    );
  });
});

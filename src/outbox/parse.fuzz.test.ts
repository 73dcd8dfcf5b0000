/**
 * Property tests for the parts of the outbox readers that take untrusted text: payload decoding,
 * depends_on parsing, timestamp normalisation, status/op vocabularies and redux-persist slices.
 * None may throw on any input, and each keeps its documented invariants.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePayload, findPrototypeKeys } from './payload.js';
import { readReduxPersistOutbox } from './redux-persist-queue.js';
import { normaliseOpKind, normaliseStatus, parseDependsOn } from './sqlite-queues.js';
import { normaliseTimestamp } from './timestamps.js';

describe('outbox parsers never throw and keep their invariants', () => {
  it('decodePayload: an object, or an error, never both; text kept verbatim', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.anything()), (v) => {
        const d = decodePayload(v);
        expect(d.payload !== null && d.payloadError !== null).toBe(false);
        if (typeof v === 'string') expect(d.payloadText).toBe(v);
        if (d.payload !== null) expect(typeof d.payload === 'object' && !Array.isArray(d.payload)).toBe(true);
      }),
    );
  });

  it('findPrototypeKeys finds a planted __proto__ at any depth', () => {
    fc.assert(
      fc.property(fc.json(), fc.nat(5), (json, depth) => {
        let text = '{"__proto__":{"x":1}}';
        for (let i = 0; i < depth; i++) text = `{"a":${text}}`;
        const planted = JSON.parse(`{"v":${json},"w":${text}}`) as unknown;
        expect(findPrototypeKeys(planted).some((p) => p.endsWith('.__proto__'))).toBe(true);
      }),
    );
  });

  it('parseDependsOn returns strings only', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.json(), fc.constant(null)), (v) => parseDependsOn(v).every((x) => typeof x === 'string')));
  });

  it('normaliseTimestamp: seconds, ms and µs of one instant agree; garbage is null', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100_000_000_000, max: 99_999_999_999_999 }), (ms) => {
        const sec = Math.floor(ms / 1000);
        expect(normaliseTimestamp(sec)?.ms).toBe(sec * 1000);
        expect(normaliseTimestamp(ms)).toEqual({ ms, unit: 'ms' });
        expect(normaliseTimestamp(ms * 1000)?.ms).toBe(ms);
        expect(normaliseTimestamp(String(ms))?.ms).toBe(ms);
      }),
    );
    fc.assert(fc.property(fc.anything(), (v) => {
      const t = normaliseTimestamp(v);
      expect(t === null || Number.isFinite(t.ms)).toBe(true);
    }));
  });

  it('status and op vocabularies map anything to the closed sets', () => {
    const statuses = new Set(['pending', 'in_flight', 'done', 'failed', 'dead', 'unknown']);
    fc.assert(fc.property(fc.anything(), (v) => statuses.has(normaliseStatus(v)) && [null, 'create', 'update', 'delete'].includes(normaliseOpKind(v))));
  });

  it('redux-persist: arbitrary persist:* values never throw; every queue entry is accounted for', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.json(), fc.string())), fc.array(fc.record({ id: fc.string(), entityId: fc.string(), action: fc.string(), data: fc.json() }), { maxLength: 5 }), (junk, queue) => {
        const entries = new Map<string, string>(junk.map((j, i) => [`persist:k${i}`, j]));
        entries.set('persist:root', JSON.stringify({ s: JSON.stringify({ items: [], syncQueue: queue.map((q) => ({ ...q, data: JSON.parse(q.data) as unknown })) }) }));
        const out = readReduxPersistOutbox(entries, 'RKStorage');
        expect(out.queues.find((q) => q.queue === 'persist:root/s.syncQueue')?.entries).toHaveLength(queue.length);
      }),
    );
  });
});

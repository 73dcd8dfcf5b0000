// eventChunks is a fast path for `JSON.stringify` over 512-event chunks (the history hash's input):
// it must give the same text for any events, the simulator's classes with any field values and
// plain objects alike. The golden test pins the hashes of real runs; this covers odd values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES } from '../test-support/cli.js';
import { ALGORITHM_NAMES, getAlgorithm } from './algorithms/index.js';
import type { HistoryEvent, MessageKind } from './history.js';
import { DroppedSendEvent, EVENT_CHUNK, eventChunks, SendEvent, SetEvent, WriteEvent } from './history-json.js';
import { loadScenarios } from './scenario.js';
import { simulate } from './simulator.js';

const eventsJson = (events: readonly HistoryEvent[]): string => [...eventChunks(events)].join('');

function reference(events: readonly HistoryEvent[]): string {
  let out = '';
  for (let i = 0; i < events.length; i += EVENT_CHUNK) out += JSON.stringify(events.slice(i, i + EVENT_CHUNK));
  return out;
}

// values of the wrong type too: a cast history must still serialise as JSON.stringify would
const anyNum = fc.oneof(fc.integer({ min: -1, max: 1e6 }), fc.double(), fc.constantFrom(NaN, Infinity, -0, 2 ** 60), fc.string() as fc.Arbitrary<unknown> as fc.Arbitrary<number>);
const anyStr = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('$exists', 'a"b\\c\n', '\u2028', '\ud800', 'é'), fc.integer() as fc.Arbitrary<unknown> as fc.Arbitrary<string>);
const kind = fc.constantFrom<MessageKind>('push', 'push-ack', 'pull', 'pull-resp', 'web', 'web-ack');
const event: fc.Arbitrary<HistoryEvent> = fc.oneof(
  fc.tuple(anyNum, anyStr, anyStr, anyStr, anyNum, anyNum).map(([t, at, key, f, from, to]) => new SetEvent(t, at, key, f, from, to)),
  fc.tuple(anyNum, anyNum, anyStr, anyStr, kind, anyNum, fc.array(anyNum, { maxLength: 3 })).map(([t, m, a, b, k, n, arr]) => new SendEvent(t, m, a, b, k, n, arr)),
  fc.tuple(anyNum, anyNum, anyStr, anyStr, kind, anyNum, fc.constantFrom('loss', 'partition', 'offline', 'lost-ack') as fc.Arbitrary<'loss'>).map(([t, m, a, b, k, n, d]) => new DroppedSendEvent(t, m, a, b, k, n, d)),
  fc.tuple(anyNum, anyNum).map(([t, w]) => new WriteEvent(t, w)),
  // plain objects as a hand-built history has them, keys in any order
  fc.tuple(anyNum, anyStr, anyStr, anyNum).map(([t, at, key, to]): HistoryEvent => ({ e: 'set', t, at, key, f: 'x', from: -1, to })),
  fc.tuple(anyNum, anyStr).map(([t, at]): HistoryEvent => ({ t, e: 'timeout', at, req: 3 })),
  fc.constant<HistoryEvent>({ t: 1, e: 'heal' }),
);

describe('eventChunks', () => {
  it('equals JSON.stringify over 512-event chunks for arbitrary events (property)', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        expect(eventsJson(events)).toBe(reference(events));
      }),
      { numRuns: 2000 },
    );
  });

  it('chunks exactly as the reference: 0, 1, 511, 512, 513 and 1100 events', () => {
    for (const n of [0, 1, 511, 512, 513, 1100]) {
      const events = Array.from({ length: n }, (_, i) => new SetEvent(i, 'phone', `notes/n${i % 7}`, 'title', i - 1, i));
      expect(eventsJson(events)).toBe(reference(events));
    }
  });

  it('equals JSON.stringify on every fixture scenario, every algorithm, seeds 1..5', () => {
    for (const { scenario } of loadScenarios(join(FIXTURES, 'scenarios'))) {
      if (scenario.fromSnapshot !== null) continue; // needs expanding; the golden test runs it
      for (const name of ALGORITHM_NAMES) {
        for (let s = 1n; s <= 5n; s++) {
          const h = simulate(scenario, getAlgorithm(name), s);
          expect(h.events.some((e) => e instanceof SetEvent)).toBe(true);
          expect(eventsJson(h.events)).toBe(reference(h.events));
        }
      }
    }
  });
});

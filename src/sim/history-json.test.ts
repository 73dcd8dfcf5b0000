// writeHistoryJson is a fast path for the history hash's input, the UTF-8 of `JSON.stringify` of
// the header, of the writes and the events in 512-element chunks, and of the end: it must give the
// same bytes for any history, the simulator's classes and records with any field values and plain
// objects alike, whatever the buffer size. The golden test pins the hashes of real runs; this
// covers odd values and buffer boundaries.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES } from '../test-support/cli.js';
import { ALGORITHM_NAMES, getAlgorithm } from './algorithms/index.js';
import type { History, HistoryEvent, MessageKind, WriteRecord } from './history.js';
import { CHUNK, DroppedSendEvent, MIN_BUFFER, SendEvent, SetEvent, WriteEvent, writeHistoryJson } from './history-json.js';
import { loadScenarios } from './scenario.js';
import { simulate } from './simulator.js';

function written(h: History, bufSize?: number): string {
  const parts: Buffer[] = [];
  const sink = { update: (b: Uint8Array): void => void parts.push(Buffer.from(b)) }; // bytes are only valid during the call
  writeHistoryJson(h, sink, bufSize === undefined ? undefined : Buffer.alloc(bufSize));
  return Buffer.concat(parts).toString('hex');
}

function reference(h: History): string {
  let out = JSON.stringify([h.scenario, h.algorithm, h.seed, h.replicas, h.writers]);
  for (let i = 0; i < h.writes.length; i += CHUNK) out += JSON.stringify(h.writes.slice(i, i + CHUNK));
  for (let i = 0; i < h.events.length; i += CHUNK) out += JSON.stringify(h.events.slice(i, i + CHUNK));
  out += JSON.stringify([h.end, h.conflicts]);
  return Buffer.from(out, 'utf8').toString('hex');
}

const END: History['end'] = { t: 9, quiesced: true, healAt: 5, outboxes: { phone: 0 }, deadLetters: { phone: 1 } };
const history = (writes: WriteRecord[], events: HistoryEvent[], extra: Partial<History> = {}): History => ({
  scenario: 's', algorithm: 'a', seed: '1', replicas: ['server', 'phone'], replicaKinds: { server: 'server', phone: 'device' },
  writers: ['initial', 'phone'], writes, events, end: END, conflicts: 0, steps: 0, stale: 0, ...extra,
});

// values of the wrong type too: a cast history must still serialise as JSON.stringify would
const anyNum = fc.oneof(fc.integer({ min: -1, max: 1e6 }), fc.integer(), fc.double(), fc.constantFrom(NaN, Infinity, -0, 2 ** 31, -(2 ** 31), 2 ** 60, 1e21, 5e-324, -0.0000012345678901234567, -1.2345678901234567e-308), fc.string() as fc.Arbitrary<unknown> as fc.Arbitrary<number>);
const anyStr = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ minLength: 40, maxLength: 200 }), fc.constantFrom('$exists', 'a"b\\c\n', '\u2028', '\ud800', 'é', '\u007f', '😀'), fc.integer() as fc.Arbitrary<unknown> as fc.Arbitrary<string>);
const scalar = fc.oneof(anyStr, anyNum, fc.boolean(), fc.constant(null));
const anyValue = fc.oneof(scalar, fc.constantFrom(undefined, [1, 'x'], { a: [null] }, new Date(0), Object.create(null) as unknown, () => 1), fc.array(anyNum, { maxLength: 3 }));
const fields = fc.oneof(fc.dictionary(anyStr, scalar, { maxKeys: 3 }), fc.dictionary(fc.string(), anyValue, { maxKeys: 3 }), fc.constantFrom({ 1: 'a', b: 'c', 0: 'd' }));
const kind = fc.constantFrom<MessageKind>('push', 'push-ack', 'pull', 'pull-resp', 'web', 'web-ack');

const write: fc.Arbitrary<WriteRecord> = fc.oneof(
  // as the simulator builds them, with any values
  fc.tuple(anyNum, anyNum, anyStr, anyStr, anyStr, anyStr, fields, anyNum, anyNum, fc.array(anyNum, { maxLength: 6 })).map(
    ([id, t, origin, originKind, k, key, f, writer, rank, clock]) => ({ id, t, origin, originKind, kind: k, key, fields: f, writer, rank, clock }) as WriteRecord,
  ),
  // keys in another order, one missing, one more
  fc.tuple(anyNum, anyStr, fields).map(([id, key, f]) => ({ t: 1, id, origin: 'phone', originKind: 'device', kind: 'update', key, fields: f, writer: 1, rank: 1, clock: [1, 1] }) as WriteRecord),
  fc.tuple(anyNum, anyStr).map(([id, key]) => ({ id, t: 1, origin: 'phone', originKind: 'device', kind: 'update', key, fields: {}, writer: 1, rank: 1 }) as unknown as WriteRecord),
  fc.tuple(anyNum, anyValue).map(([id, x]) => ({ id, t: 1, origin: 'phone', originKind: 'device', kind: 'update', key: 'k', fields: {}, writer: 1, rank: 1, clock: [1], x }) as unknown as WriteRecord),
);

const event: fc.Arbitrary<HistoryEvent> = fc.oneof(
  fc.tuple(anyNum, anyStr, anyStr, anyStr, anyNum, anyNum).map(([t, at, key, f, from, to]) => new SetEvent(t, at, key, f, from, to)),
  fc.tuple(anyNum, anyNum, anyStr, anyStr, kind, anyNum, fc.array(anyNum, { maxLength: 3 })).map(([t, m, a, b, k, n, arr]) => new SendEvent(t, m, a, b, k, n, arr)),
  fc.tuple(anyNum, anyNum, anyStr, anyStr, kind, anyNum, fc.constantFrom('loss', 'partition', 'offline', 'lost-ack') as fc.Arbitrary<'loss'>).map(([t, m, a, b, k, n, d]) => new DroppedSendEvent(t, m, a, b, k, n, d)),
  fc.tuple(anyNum, anyNum).map(([t, w]) => new WriteEvent(t, w)),
  // plain objects as the simulator and a hand-built history have them, keys in any order, any values
  fc.tuple(anyNum, anyStr, anyStr, anyNum).map(([t, at, key, to]): HistoryEvent => ({ e: 'set', t, at, key, f: 'x', from: -1, to })),
  fc.tuple(anyNum, anyStr, anyStr, anyStr).map(([t, at, key, why]): HistoryEvent => ({ t, e: 'skip', at, key, op: 'update', why })),
  fc.tuple(anyNum, anyStr, anyValue).map(([t, at, req]) => ({ t, e: 'timeout', at, req }) as HistoryEvent),
  fc.dictionary(fc.string(), anyValue, { maxKeys: 4 }).map((o) => o as unknown as HistoryEvent),
  fc.constantFrom<HistoryEvent>({ t: 1, e: 'heal' }, undefined as unknown as HistoryEvent, null as unknown as HistoryEvent),
);

describe('writeHistoryJson', () => {
  it('equals the UTF-8 of JSON.stringify of header, chunks and end for arbitrary histories and buffer sizes (property)', () => {
    fc.assert(
      fc.property(fc.array(write, { maxLength: 8 }), fc.array(event, { maxLength: 40 }), fc.oneof(fc.constant(undefined), fc.integer({ min: MIN_BUFFER, max: 400 })), (writes, events, size) => {
        expect(written(history(writes, events), size)).toBe(reference(history(writes, events)));
      }),
      { numRuns: 3000 },
    );
  });

  it('chunks exactly as the reference: 0, 1, 511, 512, 513 and 1100 events and writes', () => {
    for (const n of [0, 1, 511, 512, 513, 1100]) {
      const events = Array.from({ length: n }, (_, i) => new SetEvent(i, 'phone', `notes/n${i % 7}`, 'title', i - 1, i));
      const writes = Array.from({ length: n }, (_, i): WriteRecord => ({ id: i, t: i, origin: 'phone', originKind: 'device', kind: 'update', key: 'notes/n1', fields: { title: `p#${i}` }, writer: 1, rank: i, clock: [1, i] }));
      for (const size of [undefined, MIN_BUFFER, 1000]) expect(written(history(writes, events), size)).toBe(reference(history(writes, events)));
    }
  });

  it('writes a piece longer than the buffer, and refuses a buffer under the minimum', () => {
    const long = 'k'.repeat(5000);
    const h = history([], [new SetEvent(1, 'phone', long, 'title', -1, 0), { t: 2, e: 'skip', at: 'phone', key: long, op: 'update', why: 'é'.repeat(3000) }]);
    for (const size of [MIN_BUFFER, 4096, undefined]) expect(written(h, size)).toBe(reference(h));
    expect(() => written(h, MIN_BUFFER - 1)).toThrow(RangeError);
  });

  it('equals the reference on every fixture scenario, every algorithm, seeds 1..5', () => {
    for (const { scenario } of loadScenarios(join(FIXTURES, 'scenarios'))) {
      if (scenario.fromSnapshot !== null) continue; // needs expanding; the golden test runs it
      for (const name of ALGORITHM_NAMES) {
        for (let s = 1n; s <= 5n; s++) {
          const h = simulate(scenario, getAlgorithm(name), s);
          expect(h.events.some((e) => e instanceof SetEvent)).toBe(true);
          for (const size of [undefined, MIN_BUFFER]) expect(written(h, size)).toBe(reference(h));
        }
      }
    }
  });
});

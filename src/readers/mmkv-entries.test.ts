// The byte-level paths of the MMKV decoder against their references: entries written as JSON from
// the bytes vs JSON.stringify of the entry objects, the key index vs a Map of key strings, the
// JSON-state byte scan vs decodeJsonString, and lazy entries vs the API's plain array.
import { isUtf8 } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { jsonStreamBytes } from '../output/json-stream.js';
import { FIXTURES } from '../test-support/cli.js';
import { mmkvEntriesJson, readMmkvInstance, type MmkvDecodeOptions } from './mmkv.js';
import { parseItems } from './mmkv-items.js';
import { indexKeys } from './mmkv-keys.js';
import { decodeJsonString, JsonStateScan } from './values-collections.js';
import { encodeVarint32 } from './mmkv-bytes.js';
import { plainMmkvStore as store } from '../test-support/mmkv-store.js';

const DIR = join(FIXTURES, 'mmkv');
const reference = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2) + '\n';

const str = (s: string | Uint8Array): Buffer => {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s);
  return Buffer.concat([encodeVarint32(b.length), b]);
};
const dbl = (x: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return b;
};

/** The fast JSON of an instance's entries, checked before anything reads `entries`. */
function fastAndReference(data: Uint8Array, crc: Uint8Array | undefined, opts: MmkvDecodeOptions = {}): { fast: string; ref: string } {
  const inst = readMmkvInstance(data, crc, opts);
  const source = mmkvEntriesJson(inst);
  expect(source).toBeDefined();
  return { fast: jsonStreamBytes({ entries: source }).toString('utf8'), ref: reference({ entries: inst.entries }) };
}

describe('entries written from the bytes', () => {
  const names = readdirSync(DIR)
    .filter((f) => f.endsWith('.expected.json'))
    .map((f) => f.slice(0, -'.expected.json'.length));
  for (const name of names) {
    it(`${name}: the same JSON as the entry objects, with and without --as`, () => {
      const exp = JSON.parse(readFileSync(join(DIR, `${name}.expected.json`), 'utf8')) as { encryption: null | { key_utf8: string }; keys: Record<string, unknown> };
      const data = readFileSync(join(DIR, name));
      const crc = readFileSync(join(DIR, `${name}.crc`));
      const key = exp.encryption?.key_utf8;
      const plain = fastAndReference(data, crc, key === undefined ? {} : { key });
      expect(plain.fast).toBe(plain.ref);
      // every key forced to bytes: each entry takes the object path; half to int32: some misfit
      const keys = Object.keys(exp.keys);
      const as = Object.fromEntries(keys.map((k, i) => [k, i % 2 === 0 ? 'bytes' : 'int32'] as const));
      const forced = fastAndReference(data, crc, key === undefined ? { as } : { key, as });
      expect(forced.fast).toBe(forced.ref);
    });
  }

  it('strings that need escapes, non-ASCII and non-UTF-8 keys, modified UTF-8, odd doubles, large values', () => {
    const big = 'x'.repeat(700_000) + '"\\\n\u0001é😀' + 'y'.repeat(700_000);
    const items: Array<[Uint8Array, Uint8Array]> = [
      // the first key is plain text: a control character there reads as an encrypted file
      [Buffer.from('first'), str('plain')],
      [Buffer.from('quote"back\\slash\ttab'), str('say "hi"\\ \u0000\u0008\u000c\u001f\u007f end')],
      [Buffer.from('clé 😀'), str('café ☕ \u2028 \ufffd')],
      [Buffer.from([0x6b, 0xff, 0x01]), str('non-UTF-8 key')],
      [Buffer.from('mutf8'), str(Buffer.from([0x61, 0xc0, 0x80, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]))],
      [Buffer.from('nan'), dbl(NaN)],
      [Buffer.from('inf'), dbl(-Infinity)],
      [Buffer.from('negzero'), dbl(-0)],
      [Buffer.from('tiny'), dbl(5e-324)],
      [Buffer.from('eight'), str('seven!!')],
      [Buffer.from('f'), Buffer.from([0])],
      [Buffer.from('t'), Buffer.from([1])],
      [Buffer.from('int'), Buffer.from([0x96, 0x01])],
      [Buffer.from('bytes'), Buffer.from([0xde, 0xad, 0xbe])],
      [Buffer.from('zustand'), str('{"state":{"items":[{"id":1},{"id":1}]},"version":2}')],
      [Buffer.from('badjson'), str('[{"id": 1},')],
      [Buffer.from('big'), str(big)],
      [Buffer.from('bighex'), Buffer.alloc(1_200_000, 0xab)],
      [Buffer.from('gone'), Buffer.alloc(0)],
    ];
    const { data, crc } = store(items);
    const r = fastAndReference(data, crc);
    expect(r.fast).toBe(r.ref);
    expect(JSON.parse(r.fast).entries).toHaveLength(items.length - 1);
    // Without a .crc nothing is verified: every entry ends the other way (verified false).
    const unverified = fastAndReference(data, undefined);
    expect(unverified.fast).toBe(unverified.ref);
    expect(unverified.fast).toContain('"verified": false');
  });

  it('many entries: rawHex and values across chunk ends, any alignment, written twice alike', () => {
    // ~600 KiB of values of sizes that do not divide a chunk or a word: entries straddle both.
    const items: Array<[Uint8Array, Uint8Array]> = [];
    for (let i = 0; i < 6000; i++) {
      const key = Buffer.from(`k${i}`);
      if (i % 3 === 0) items.push([key, str('v'.repeat(i % 257) + '"' + i)]);
      else if (i % 3 === 1) items.push([key, dbl(i / 7)]);
      else items.push([key, Buffer.alloc(1 + (i % 301), i % 256)]);
    }
    const { data, crc } = store(items);
    expect(data.length).toBeGreaterThan(512 * 1024);
    const r = fastAndReference(data, crc);
    expect(r.fast).toBe(r.ref);
    // Written a second time, the same table gives the same bytes.
    const source = mmkvEntriesJson(readMmkvInstance(data, crc));
    const once = jsonStreamBytes({ entries: source });
    expect(jsonStreamBytes({ entries: source }).equals(once)).toBe(true);
  });

  it('expiring stores: stamps, an expired key, a deletion', () => {
    const stamp = (payload: Buffer, at: number): Buffer => {
      const s = Buffer.alloc(4);
      s.writeUInt32LE(at);
      return Buffer.concat([payload, s]);
    };
    const { data, crc } = store(
      [
        [Buffer.from('a'), stamp(str('text'), 0)],
        [Buffer.from('b'), stamp(dbl(1.5), 1)],
        [Buffer.from('c'), stamp(Buffer.from([1]), 4_000_000_000)],
        [Buffer.from('a'), Buffer.alloc(0)],
      ],
      true,
    );
    const r = fastAndReference(data, crc, { nowMs: 2_000_000_000_000 });
    expect(r.fast).toBe(r.ref);
  });

  it('random stores of react-native-mmkv values: the same JSON', () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }).map((s) => str(s)),
      fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', '\u0000', 'é', '😀', '{', '[', ' '), maxLength: 40 }).map((s) => str(s)),
      fc.double().map(dbl),
      fc.constantFrom(Buffer.from([0]), Buffer.from([1]), Buffer.alloc(0)),
      fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)),
    );
    const key = fc.oneof(fc.constantFrom('k1', 'k2', 'k"3', 'ключ'), fc.uint8Array({ minLength: 1, maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 30 }), (raw) => {
        const items = raw.map(([k, v]) => [typeof k === 'string' ? Buffer.from(k) : k, v] as [Uint8Array, Uint8Array]);
        const { data, crc } = store(items);
        let r: { fast: string; ref: string };
        try {
          r = fastAndReference(data, crc);
        } catch (err) {
          // a first key that is not text makes the decoder refuse the file (exit 4): nothing to compare
          if (err instanceof InputError) return;
          throw err;
        }
        expect(r.fast).toBe(r.ref);
      }),
      { numRuns: 400 },
    );
  });
});

describe('the key index', () => {
  it('later items win and deletions are listed in first-deletion order, as a Map of key strings says', () => {
    const key = fc.constantFrom('a', 'b', 'ab', 'ba', 'c', '\u00e9', 'a\u0000');
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.boolean()), { maxLength: 60 }), (ops) => {
        const { data } = store(ops.map(([k, del]) => [Buffer.from(k, 'latin1'), del ? Buffer.alloc(0) : Buffer.from([1])]));
        const parsed = parseItems(data, 4, data.length, false);
        const index = indexKeys(data, parsed);
        // the reference: strings in a Map and a Set, as the decoder did before
        const live = new Map<string, number>();
        const deleted = new Set<string>();
        ops.forEach(([k, del], i) => {
          if (del) {
            live.delete(k);
            deleted.add(k);
          } else live.set(k, i);
        });
        const liveItems = [...index.isLive.keys()].filter((i) => index.isLive[i] === 1);
        expect(liveItems).toEqual([...live.values()].sort((a, b) => a - b));
        expect(index.liveCount).toBe(live.size);
        expect(index.removed.map((i) => ops[i]?.[0])).toEqual([...deleted].filter((k) => !live.has(k)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('the JSON-state byte scan', () => {
  it('utf8 says what isUtf8 says, for any bytes at any offset, and mayHoldState no only where decodeJsonString returns nothing', () => {
    const piece = fc.oneof(
      fc.uint8Array({ maxLength: 12 }),
      fc.constantFrom('{', '[', '"state"', '"_persist"', '"', ' ', 'é', '😀', 'abcd').map((t) => Buffer.from(t, 'utf8')),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), fc.nat(5), (pieces, offset) => {
        const text = Buffer.concat(pieces);
        // Invalid UTF-8 on both sides: a read outside the text would show in the answer.
        const buf = Buffer.concat([Buffer.alloc(offset, 0xff), text, Buffer.from([0xff, 0xff, 0xff, 0xff])]);
        const scan = new JsonStateScan(buf);
        const valid = scan.utf8(offset, offset + text.length);
        expect(valid).toBe(isUtf8(text));
        if (valid && !scan.lastMayHoldState) expect(decodeJsonString('k', text.toString('utf8'))).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('says no only where decodeJsonString returns nothing', () => {
    const text = fc.string({ unit: fc.constantFrom('{', '[', ']', '}', ' ', '\n', '"', 'state', '_persist', ':', 'x', 'é', '1', ','), maxLength: 30 });
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 8 }), (texts) => {
        const bufs = texts.map((t) => Buffer.from(t, 'utf8'));
        const buf = Buffer.concat(bufs);
        const scan = new JsonStateScan(buf);
        let at = 0;
        texts.forEach((t, i) => {
          const len = (bufs[i] as Buffer).length;
          if (!scan.mayHoldState(at, at + len)) expect(decodeJsonString('k', t)).toBeUndefined();
          at += len;
        });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('lazy entries', () => {
  it('are a plain array once read, assignable, and the JSON source steps aside after that', () => {
    const { data, crc } = store([
      [Buffer.from('a'), str('x')],
      [Buffer.from('b'), dbl(2)],
    ]);
    const inst = readMmkvInstance(data, crc);
    expect(Object.keys(inst)).toContain('entries');
    expect(mmkvEntriesJson(inst)).toBeDefined();
    const entries = inst.entries;
    expect(Array.isArray(entries)).toBe(true);
    expect(inst.entries).toBe(entries);
    expect(entries.map((e) => [e.key, e.type, e.value])).toEqual([
      ['a', 'string', 'x'],
      ['b', 'double', 2],
    ]);
    expect(mmkvEntriesJson(inst)).toBeUndefined();
    const fresh = readMmkvInstance(data, crc);
    fresh.entries = [];
    expect(fresh.entries).toEqual([]);
    expect(mmkvEntriesJson(fresh)).toBeUndefined();
    expect((JSON.parse(reference(readMmkvInstance(data, crc))) as { entries: unknown[] }).entries).toHaveLength(2);
  });
});

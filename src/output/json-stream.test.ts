import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JSON_ARRAY_SOURCE, jsonStreamBytes, JsonStreamWriter, type JsonArraySource, type JsonSink } from './json-stream.js';

/**
 * A sink that holds each chunk (no copy) until it releases it asynchronously, as a pipe does, and
 * checks at release that the chunk still holds what was written: a writer reusing a chunk
 * before its callback would show as `overwritten`. `stallEvery` makes it ask for 'drain'.
 */
function memorySink(stallEvery = 0): JsonSink & { text(): string; drains: number; overwritten: number } {
  const copies: Buffer[] = [];
  const listeners = new Map<string, Array<(err?: unknown) => void>>();
  let writes = 0;
  const sink = {
    drains: 0,
    overwritten: 0,
    write(chunk: Uint8Array, done?: (err?: unknown) => void): boolean {
      const copy = Buffer.from(chunk);
      copies.push(copy);
      setImmediate(() => {
        if (!copy.equals(chunk)) sink.overwritten++;
        done?.();
      });
      writes++;
      if (stallEvery > 0 && writes % stallEvery === 0) {
        setImmediate(() => {
          sink.drains++;
          for (const l of listeners.get('drain') ?? []) l();
          listeners.set('drain', []);
        });
        return false;
      }
      return true;
    },
    once(event: string, l: (err?: unknown) => void): unknown {
      listeners.set(event, [...(listeners.get(event) ?? []), l]);
      return sink;
    },
    removeListener(event: string, l: (err?: unknown) => void): unknown {
      listeners.set(event, (listeners.get(event) ?? []).filter((x) => x !== l));
      return sink;
    },
    text: (): string => Buffer.concat(copies).toString('utf8'),
  };
  return sink;
}

const reference = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2) + '\n';

async function streamed(v: unknown, plain?: ReadonlySet<string>, stallEvery = 0): Promise<string> {
  const sink = memorySink(stallEvery);
  await new JsonStreamWriter(sink, plain).document(v);
  return sink.text();
}

// Strings that exercise every escape: quotes, backslashes, controls, non-ASCII, lone surrogates, U+FFFD.
const tricky = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u007f', 'a', 'é', '\ufffd', '\ud800', '\udc00', '😀', '\u2028') }),
);
const leaf = fc.oneof(tricky, fc.double(), fc.integer(), fc.bigInt(), fc.boolean(), fc.constant(null), fc.constant(undefined));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 80 }),
  object: fc.dictionary(tricky, tie('value'), { maxKeys: 8 }),
}));
// A document is an object or an array (a bare `undefined` is not JSON at all).
const document = fc.oneof(json.object, json.array);

describe('JsonStreamWriter', () => {
  it('writes exactly what JSON.stringify(v, bigint → string, 2) + newline gives', async () => {
    await fc.assert(
      fc.asyncProperty(document, async (v) => {
        expect(await streamed(v)).toBe(reference(v));
      }),
      { numRuns: 1000 },
    );
  }, 60_000);

  it('keeps the bytes under backpressure, and for values larger than a chunk', async () => {
    const big = 'x"y\n'.repeat(400_000); // 1.6 M chars: escaped on the native path, its own buffer
    const doc = {
      entries: Array.from({ length: 5000 }, (_, i) => ({ key: `k${i}`, value: i % 500 === 0 ? big.slice(0, i * 300) : i % 3 === 0 ? `v"${i}\n` : i, rawHex: 'ab'.repeat(i), list: [i, `${i}`, null] })),
      big,
      when: new Date(0),
      boxed: [Object(1), Object('s'), Object(true)] as unknown[],
      n: [NaN, -0, Infinity, 1e21, 5e-7],
    };
    const sink = memorySink(3);
    await new JsonStreamWriter(sink, new Set(['rawHex'])).document(doc);
    await new Promise((resolve) => setImmediate(resolve)); // the last releases
    expect(sink.text()).toBe(reference(doc));
    expect(sink.drains).toBeGreaterThan(0);
    expect(sink.overwritten).toBe(0);
  });

  it('plain names skip escaping only for the names given', async () => {
    const doc = { rawHex: 'deadbeef', other: 'a"b', nested: [{ rawHex: '‹redacted 4 bytes›' }], ['k"'.repeat(300_000)]: 1 };
    expect(await streamed(doc, new Set(['rawHex']))).toBe(reference(doc));
  });

  it('rejects when the stream fails while the writer waits for drain', async () => {
    const sink = memorySink(1);
    const failing: JsonSink = {
      write: (c, done) => sink.write(c, done),
      once: (event, l) => (event === 'error' ? setImmediate(() => l(new Error('EPIPE'))) : sink.once(event, () => undefined)),
      removeListener: () => undefined,
    };
    await expect(new JsonStreamWriter(failing).document({ a: Array.from({ length: 100 }, () => 'x'.repeat(20_000)) })).rejects.toThrow('EPIPE');
  });

  it('rejects (instead of waiting forever) when the stream closes or is gone before draining', async () => {
    const doc = { a: Array.from({ length: 100 }, () => 'x'.repeat(20_000)) };
    const closing: JsonSink = {
      write: () => false,
      once: (event, l) => (event === 'close' ? setImmediate(() => l()) : undefined),
      removeListener: () => undefined,
    };
    await expect(new JsonStreamWriter(closing).document(doc)).rejects.toThrow(/closed/);
    const gone: JsonSink = { write: () => false, once: () => undefined, removeListener: () => undefined, destroyed: true };
    await expect(new JsonStreamWriter(gone).document(doc)).rejects.toThrow(/closed/);
  });

  it('array sources: bytes written by the elements equal JSON.stringify of toJSON, with drains, at any depth', async () => {
    // Elements of UTF-8 text and hex written from bytes (runs across chunk ends included).
    const texts = ['plain', 'q"u\\o\nte\u0000\u001f\u007f', 'é😀\u2028\ufffd', 'x'.repeat(1_500_000) + '"', ''];
    const bytes = texts.map((t) => Buffer.from(t, 'utf8'));
    const source: JsonArraySource = {
      [JSON_ARRAY_SOURCE]: true,
      length: bytes.length,
      writeElement(w, i, depth) {
        const b = bytes[i] as Buffer;
        w.writeMember(depth, 'text', true);
        w.writeUtf8String(b, 0, b.length);
        w.writeMember(depth, 'hex', false);
        w.writeHexString(b, 0, b.length);
        w.writeMember(depth, 'n', false);
        w.writeNumber(i * 1.5);
        w.writeObjectEnd(depth);
      },
      toJSON: () => bytes.map((b, i) => ({ text: b.toString('utf8'), hex: b.toString('hex'), n: i * 1.5 })),
    };
    for (const doc of [{ entries: source }, { a: [{ b: { c: { d: { entries: source } } } }] }, { empty: { ...source, length: 0, toJSON: () => [] } }]) {
      const ref = JSON.stringify(doc, null, 2) + '\n';
      expect(await streamed(doc, undefined, 3)).toBe(ref);
      expect(jsonStreamBytes(doc).toString('utf8')).toBe(ref);
    }
  });

  it('writeUtf8String escapes any valid UTF-8 as JSON.stringify does, and writeHexString gives hex, at any offset', () => {
    // The writers read four bytes at a time: texts sit at any alignment inside a larger buffer,
    // between bytes that need escaping, so word reads crossing the text's edges would show.
    fc.assert(
      fc.property(
        fc.string({ unit: fc.oneof(fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u007f', 'a', 'é', '\ufffd', '😀', '\u2028'), fc.string({ unit: 'grapheme', maxLength: 3 })) }),
        fc.nat(7),
        (text, offset) => {
          const t = Buffer.from(text, 'utf8');
          const b = Buffer.concat([Buffer.alloc(offset, 0x22), t, Buffer.alloc(7, 0x0a)]);
          const source: JsonArraySource = {
            [JSON_ARRAY_SOURCE]: true,
            length: 1,
            writeElement: (w) => {
              w.writeUtf8String(b, offset, offset + t.length);
              w.writeHexString(b, offset, offset + t.length);
            },
            toJSON: () => [text],
          };
          // The two strings back to back (not valid JSON, but exactly the bytes each writer owes).
          expect(jsonStreamBytes(source).toString('utf8')).toBe(`[\n  ${JSON.stringify(text)}${JSON.stringify(t.toString('hex'))}\n]\n`);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

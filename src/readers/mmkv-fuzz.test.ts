// Property tests: whatever bytes arrive, the decoder returns an instance with findings or throws
// an InputError (exit 4); never another exception, never a hang (every loop is bounded by the
// input). fast-check runs thousands of cases across random bytes, truncations and bit flips.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { FIXTURES } from '../test-support/cli.js';
import { jsonStreamBytes } from '../output/json-stream.js';
import { mmkvEntriesJson, readMmkvInstance, type MmkvDecodeOptions, type MmkvInstance } from './mmkv.js';

const reference = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2) + '\n';

const DIR = join(FIXTURES, 'mmkv');
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.expected.json'))
  .map((f) => {
    const name = f.slice(0, -'.expected.json'.length);
    const exp = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { encryption: null | { key_utf8: string } };
    return {
      name,
      data: readFileSync(join(DIR, name)),
      crc: readFileSync(join(DIR, `${name}.crc`)),
      key: exp.encryption?.key_utf8,
    };
  });

/** Decodes; an InputError counts as a clean refusal. Any other throw fails the property. */
function decodeOrRefuse(data: Uint8Array, crc: Uint8Array | undefined, opts: MmkvDecodeOptions): MmkvInstance | InputError {
  try {
    const inst = readMmkvInstance(data, crc, opts);
    // the entries written from the bytes are the JSON of the entry objects, byte for byte
    const fast = mmkvEntriesJson(inst);
    expect(fast).toBeDefined();
    expect(jsonStreamBytes({ entries: fast }).toString('utf8')).toBe(reference({ entries: inst.entries }));
    // the result is a well-formed report
    expect(Array.isArray(inst.entries)).toBe(true);
    expect(inst.integrity.parsedBytes).toBeLessThanOrEqual(inst.integrity.regionBytes);
    for (const e of inst.entries) expect(typeof e.rawHex).toBe('string');
    return inst;
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
}

function flipBits(buf: Buffer, flips: Array<{ at: number; bit: number }>): Buffer {
  const out = Buffer.from(buf);
  for (const f of flips) {
    const i = f.at % out.length;
    out[i] = (out[i] as number) ^ (1 << f.bit);
  }
  return out;
}

const flipsArb = fc.array(fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), { minLength: 1, maxLength: 4 });

describe('MMKV decoder under random damage', { timeout: 120_000 }, () => {
  for (const fx of fixtures) {
    const opts: MmkvDecodeOptions = fx.key === undefined ? { history: true } : { key: fx.key, history: true };

    it(`${fx.name}: truncations`, () => {
      fc.assert(
        fc.property(fc.nat({ max: fx.data.length }), fc.nat({ max: fx.crc.length }), (dataLen, crcLen) => {
          decodeOrRefuse(fx.data.subarray(0, dataLen), fx.crc.subarray(0, crcLen), opts);
        }),
        { numRuns: 150 },
      );
    });

    it(`${fx.name}: bit flips in the data file`, () => {
      fc.assert(
        fc.property(flipsArb, (flips) => {
          const out = decodeOrRefuse(flipBits(fx.data, flips), fx.crc, opts);
          // a flip inside the region can never leave the CRC matching
          if (!(out instanceof InputError) && out.integrity.crcOk === true) {
            expect(out.meta.crcComputed).toBe(out.meta.crcDigest);
          }
        }),
        { numRuns: 250 },
      );
    });

    it(`${fx.name}: bit flips in the .crc file`, () => {
      fc.assert(
        fc.property(flipsArb, (flips) => {
          decodeOrRefuse(fx.data, flipBits(fx.crc.subarray(0, 112), flips), opts);
        }),
        { numRuns: 150 },
      );
    });
  }

  for (const fx of fixtures.filter((f) => f.key !== undefined)) {
    it(`${fx.name}: a wrong key never yields unflagged entries, damaged or not`, () => {
      fc.assert(
        fc.property(fc.nat({ max: fx.data.length }), fc.option(flipsArb), fc.string({ minLength: 1, maxLength: 40 }), (dataLen, flips, key) => {
          fc.pre(key !== fx.key);
          const data = flips === null ? fx.data.subarray(0, dataLen) : flipBits(fx.data, flips);
          const out = decodeOrRefuse(data, fx.crc, { key });
          // MMKV stores no key check: garbage can parse as one item by chance, and is then flagged
          if (!(out instanceof InputError) && !out.findings.some((f) => f.code === 'MMKV_KEY_UNVERIFIED')) expect(out.entries).toEqual([]);
        }),
        { numRuns: 400 },
      );
    });
  }

  it('random bytes as data and meta', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.option(fc.uint8Array({ maxLength: 140 })), fc.option(fc.string({ maxLength: 40 })), (data, crc, key) => {
        decodeOrRefuse(data, crc ?? undefined, key === null ? { history: true } : { key, history: true });
      }),
      { numRuns: 1500 },
    );
  });

  it('random items after a valid placeholder, with a meta that vouches for them', () => {
    // Plausible files: a real header/placeholder, random item bytes, a CRC that matches. The
    // strict path must either parse to the end or refuse with a typed error.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (body, expiring) => {
        const data = Buffer.concat([Buffer.from([0, 0, 0, 0, 0xff, 0xff, 0xff, 0x07]), body]);
        const meta = Buffer.alloc(112);
        const size = data.length - 4;
        meta.writeUInt32LE(crc32(data.subarray(4)), 0);
        meta.writeUInt32LE(4, 4);
        meta.writeUInt32LE(size, 28);
        if (expiring) meta[104] = 1;
        const out = decodeOrRefuse(data, meta, {});
        if (!(out instanceof InputError)) expect(out.integrity.parsedBytes).toBe(size);
      }),
      { numRuns: 1000 },
    );
  });
});

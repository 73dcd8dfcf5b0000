import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCipheriv } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { FIXTURES } from '../test-support/cli.js';
import { readMmkvFiles, readMmkvInstance, type MmkvEntry } from './mmkv.js';
import { decodeMmkvValueAs, type MmkvValueType } from './values.js';

const DIR = join(FIXTURES, 'mmkv');

interface ExpectedKey {
  type: string;
  value?: unknown;
  value_hex?: string;
  raw_hex: string;
  expire_at?: number;
  key_hex?: string;
}
interface Expected {
  keys: Record<string, ExpectedKey>;
  removed_keys: string[];
  meta: Record<string, number | string>;
  encryption: null | { key_utf8: string; aes256: boolean };
  writer: { version: string };
  captured_at_unix?: number;
}

const names = readdirSync(DIR)
  .filter((f) => f.endsWith('.expected.json'))
  .map((f) => f.slice(0, -'.expected.json'.length))
  .sort();

function expected(name: string): Expected {
  return JSON.parse(readFileSync(join(DIR, `${name}.expected.json`), 'utf8')) as Expected;
}

function bytes(name: string): { data: Buffer; crc: Buffer } {
  return { data: readFileSync(join(DIR, name)), crc: readFileSync(join(DIR, `${name}.crc`)) };
}

/** JSON-comparable form of a decoded value (BigInt → decimal string, as --json prints it). */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)));
}

const RN_TYPES = new Set(['bool', 'double', 'string']);

describe('MMKV fixtures written by the real Tencent MMKV', () => {
  it('covers every fixture file', () => {
    expect(names).toHaveLength(12);
  });

  for (const name of names) {
    it(`decodes ${name} exactly as its expected.json says`, () => {
      const exp = expected(name);
      const inst = readMmkvFiles(join(DIR, name), { key: exp.encryption?.key_utf8 });
      const byKey = new Map<string, MmkvEntry>(inst.entries.map((e) => [e.key, e]));

      // live keys and raw payloads, exactly
      expect([...byKey.keys()].sort()).toEqual(Object.keys(exp.keys).sort());
      for (const [key, want] of Object.entries(exp.keys)) {
        const got = byKey.get(key)!;
        expect(got.rawHex, key).toBe(want.raw_hex);
        expect(got.expireAt, key).toBe(want.expire_at ?? null);
        if (want.key_hex !== undefined && got.keyHex !== undefined) expect(got.keyHex).toBe(want.key_hex);
        // every typed value decodes exactly when the type is known (what `--as` does)
        const typed = decodeMmkvValueAs(Buffer.from(stripExpiry(want.raw_hex, want.expire_at)), want.type as MmkvValueType);
        expect(typed, key).toBeDefined();
        expect(plain(typed!.value), key).toEqual(want.value_hex ?? plain(want.value));
        if (RN_TYPES.has(want.type)) {
          // inference: exact, unless the payload is one byte `00` (false and "" are the same bytes)
          if (want.raw_hex === '00' || stripExpiry(want.raw_hex, want.expire_at).length === 1 && want.raw_hex.startsWith('00')) {
            expect([got.type, ...(got.alternatives ?? [])], key).toContain(want.type);
          } else {
            expect(got.type, key).toBe(want.type);
            expect(plain(got.value), key).toEqual(plain(want.value));
          }
        }
      }
      for (const removed of exp.removed_keys) expect(byKey.has(removed), removed).toBe(false);

      // meta, every field
      expect(inst.meta.crcDigest).toBe(exp.meta['crc_digest']);
      expect(inst.meta.crcComputed).toBe(exp.meta['crc_digest']);
      expect(inst.meta.version).toBe(exp.meta['version']);
      expect(inst.meta.sequence).toBe(exp.meta['sequence']);
      expect(inst.meta.ivHex).toBe(exp.meta['iv_hex']);
      expect(inst.meta.actualSize).toBe(exp.meta['actual_size']);
      expect(inst.meta.lastConfirmedActualSize).toBe(exp.meta['last_confirmed_actual_size']);
      expect(inst.meta.lastConfirmedCrcDigest).toBe(exp.meta['last_confirmed_crc_digest']);
      expect(inst.meta.flags).toBe(BigInt(exp.meta['flags'] as number));
      expect(inst.meta.dataFileSize).toBe(exp.meta['data_file_size']);
      expect(inst.meta.dataFileHeader).toBe(exp.meta['data_file_header_u32']);
      expect(inst.meta.encrypted).toBe(exp.encryption !== null);
      if (exp.encryption) expect(inst.meta.aesBits).toBe(exp.encryption.aes256 ? 256 : 128);

      // v1.3 and v2.4+ writers told apart by their header and placeholder
      if (exp.writer.version === 'v1.3.3') expect(inst.meta.writerHint).toMatch(/<= v2\.3.*<= v1\.3\.7/);
      else if (inst.meta.actualSize > 0) expect(inst.meta.writerHint).toMatch(/>= v2\.4.*>= v1\.3\.8/);
      else expect(inst.meta.writerHint).toBeNull();
      expect(inst.integrity.status).toBe('verified');
      expect(inst.integrity.onLoad).toEqual({ action: 'load', keys: Object.keys(exp.keys).length });
      expect(inst.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(inst.verdict).toBe('ok');
    });
  }
});

function stripExpiry(rawHex: string, expireAt: number | undefined): Uint8Array {
  const raw = Buffer.from(rawHex, 'hex');
  return expireAt === undefined ? raw : raw.subarray(0, raw.length - 4);
}

describe('semantics beyond the live map', () => {
  it('overwrites: history lists every physical item in file order, later items win', () => {
    // counter is an int32 written by the C++ API; 0 and 1 alone would infer as booleans
    const inst = readMmkvFiles(join(DIR, 'overwrites'), { history: true, as: { counter: 'int32' } });
    const history = inst.history!;
    expect(history).toHaveLength(55);
    expect(history.filter((h) => h.deleted)).toHaveLength(3);
    const counter = history.filter((h) => h.key === 'counter');
    expect(counter).toHaveLength(40);
    expect(counter.map((h) => h.value)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(counter.filter((h) => h.live).map((h) => h.value)).toEqual([39]);
    const recreated = history.filter((h) => h.key === 'recreated');
    expect(recreated.map((h) => [h.type ?? null, h.value ?? null, h.deleted])).toEqual([
      ['string', 'first life as a string', false],
      [null, null, true],
      ['double', 2.5, false],
    ]);
    const offsets = history.map((h) => h.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(offsets[0]).toBe(8); // 4-byte header + 4-byte placeholder
    expect(inst.removedKeys.sort()).toEqual(['temp.a', 'temp.b']);
  });

  it('mmkv.default: Zustand persist stores become collections of records', () => {
    const inst = readMmkvFiles(join(DIR, 'mmkv.default'));
    const byName = new Map(inst.collections.map((c) => [c.name, c]));
    expect(byName.get('mood-store.entries')?.records).toHaveLength(28);
    expect(byName.get('mood-store.entries')?.envelope).toBe('zustand');
    // 13 stored sessions, ex_0011 twice: the later copy is kept and the duplicate reported
    const sessions = byName.get('exercise-store.sessions')!;
    expect(sessions.storedCount).toBe(13);
    expect(sessions.records).toHaveLength(12);
    expect(inst.findings.map((f) => f.code)).toContain('COLLECTION_DUPLICATE_ID');
    expect(inst.jsonStores.find((s) => s.key === 'settings-store')).toMatchObject({ envelope: 'zustand', version: 1 });
    expect(inst.entries.find((e) => e.key === 'mood-store')?.json).toBe('zustand');
  });

  it('--as overrides the inferred type and reports payloads that do not fit', () => {
    const inst = readMmkvFiles(join(DIR, 'all-types'), { as: { uint64_max: 'uint64', bytes_small: 'bytes', double_pi: 'string' } });
    const get = (k: string): MmkvEntry => inst.entries.find((e) => e.key === k)!;
    expect(get('uint64_max')).toMatchObject({ type: 'uint64', value: 18446744073709551615n, override: true });
    expect(get('double_pi').type).toBe('double');
    expect(inst.findings.find((f) => f.code === 'MMKV_AS_MISMATCH')?.ref).toBe('double_pi');
  });

  it('key-expire: reports keys already past their stamp', () => {
    const exp = expected('key-expire');
    const inst = readMmkvFiles(join(DIR, 'key-expire'), { nowMs: exp.captured_at_unix! * 1000 });
    expect(inst.meta.keyExpiration).toBe(true);
    const f = inst.findings.find((x) => x.code === 'MMKV_KEY_EXPIRED');
    expect(f?.message).toContain('short.lived');
    expect(f?.message).not.toContain('token');
  });

  it('android-java-mutf8: modified UTF-8 keys keep their raw bytes', () => {
    const inst = readMmkvFiles(join(DIR, 'android-java-mutf8'));
    const e = inst.entries.find((x) => x.key === 'key.🔑')!;
    expect(e.keyHex).toBe('6b65792eeda0bdedb491');
    expect(e.keyEncoding).toBe('modified-utf-8');
    expect(inst.entries.find((x) => x.key === 'nul')?.encoding).toBe('modified-utf-8');
  });
});

describe('damage: what MMKV would do, what syncdoc recovers', () => {
  it('CRC mismatch: MMKV rolls back to the last full write-back; syncdoc keeps every complete item', () => {
    const { data, crc } = bytes('mmkv.default');
    const damaged = Buffer.from(crc);
    damaged.writeUInt32LE((damaged.readUInt32LE(0) ^ 1) >>> 0, 0);
    const inst = readMmkvInstance(data, damaged, { name: 'mmkv.default' });
    const codes = inst.findings.map((f) => f.code);
    expect(codes).toContain('MMKV_CRC_MISMATCH');
    expect(codes).toContain('MMKV_WOULD_ROLL_BACK');
    expect(inst.integrity.crcOk).toBe(false);
    expect(inst.integrity.onLoad).toMatchObject({ action: 'roll-back', to: 'last-confirmed', sizeBytes: 5404 });
    expect(inst.integrity.onLoad.keys).toBeLessThan(10);
    expect(inst.entries).toHaveLength(10);
    expect(inst.entries.filter((e) => e.verified).length).toBeGreaterThan(0);
    expect(inst.entries.filter((e) => !e.verified).length).toBeGreaterThan(0);
    expect(inst.verdict).toBe('damaged');
  });

  it('actual size beyond the file: reported, items read up to the file end', () => {
    const { data, crc } = bytes('overwrites');
    const damaged = Buffer.from(crc);
    damaged.writeUInt32LE(data.length + 100, 28);
    const inst = readMmkvInstance(data, damaged);
    expect(inst.findings.map((f) => f.code)).toContain('MMKV_SIZE_BEYOND_FILE');
    expect(inst.integrity.sizeWithinFile).toBe(false);
    // the zero padding after the real items parses as nothing, so all 5 keys are recovered
    expect(inst.entries.map((e) => e.key).sort()).toEqual(['counter', 'recreated', 'same.value', 'session.token', 'status']);
    // last_confirmed is the bare placeholder: MMKV keeps nothing
    expect(inst.integrity.onLoad).toEqual({ action: 'roll-back', to: 'last-confirmed', sizeBytes: 4, keys: 0 });
  });

  it('torn last item: the key keeps its previous complete value, the tail is reported by offset', () => {
    const { data, crc } = bytes('overwrites');
    const full = readMmkvInstance(data, crc, { history: true });
    const last = full.history![full.history!.length - 1]!;
    expect(last.key).toBe('same.value');
    const cut = data.subarray(0, last.offset + 5); // inside the last item
    const inst = readMmkvInstance(cut, crc, { history: true });
    const codes = inst.findings.map((f) => f.code);
    expect(codes).toContain('MMKV_TORN_TAIL');
    expect(codes).toContain('MMKV_SIZE_BEYOND_FILE');
    expect(inst.integrity.stoppedAt).toBe(last.offset);
    expect(inst.findings.find((f) => f.code === 'MMKV_TORN_TAIL')?.ref).toBe(`offset ${last.offset}`);
    expect(inst.history).toHaveLength(54);
    expect(inst.entries.find((e) => e.key === 'same.value')?.value).toBe(7);
    expect(inst.entries.find((e) => e.key === 'same.value')?.offset).toBeLessThan(last.offset);
    expect(inst.integrity.onLoad.keys).toBe(0); // MMKV would lose every key
  });

  it('wrong key: a typed error, no entries', () => {
    const { data, crc } = bytes('encrypted-aes128');
    expect(() => readMmkvInstance(data, crc, { key: 'not-the-key' })).toThrow(InputError);
    try {
      readMmkvInstance(data, crc, { key: 'not-the-key', name: 'encrypted-aes128' });
    } catch (err) {
      expect((err as InputError).code).toBe('E_MMKV_WRONG_KEY');
      expect((err as InputError).hint).toContain('--key-env');
    }
    // the right key with the wrong AES size is wrong too
    expect(() => readMmkvInstance(data, crc, { key: 'syncdoc-demo', aesBits: 256 })).toThrow(/wrong encryption key/);
  });

  it('encrypted file without a key: a typed error asking for the key', () => {
    const { data, crc } = bytes('encrypted-aes256');
    expect(() => readMmkvInstance(data, crc)).toThrow(expect.objectContaining({ code: 'E_MMKV_ENCRYPTED' }));
  });

  it('missing .crc: reported; a v1.3 file falls back to its header size', () => {
    const legacy = readMmkvInstance(bytes('legacy-writer-v133').data, undefined);
    expect(legacy.findings.map((f) => f.code)).toContain('MMKV_CRC_MISSING');
    expect(legacy.meta.sizeSource).toBe('header');
    expect(legacy.integrity.crcOk).toBeNull();
    expect(legacy.entries.map((e) => e.key).sort()).toEqual(['launches', 'profile', 'theme']);
    // a v2.4 file keeps header 0: syncdoc reads up to the file end
    const modern = readMmkvInstance(bytes('overwrites').data, undefined);
    expect(modern.meta.sizeSource).toBe('file-end');
    expect(modern.entries).toHaveLength(5);
    expect(modern.integrity.onLoad.action).toBe('discard');
  });

  it('a file shorter than the header is unusable (exit 4)', () => {
    expect(() => readMmkvInstance(Buffer.from([1, 2]), undefined)).toThrow(InputError);
  });

  it('the CRC really is zlib CRC-32 of the stored region', () => {
    const { data } = bytes('after-trim');
    const inst = readMmkvInstance(data, bytes('after-trim').crc);
    expect(inst.meta.crcComputed).toBe(crc32(data.subarray(4, 4 + inst.meta.actualSize)));
  });
});

describe('finding codes', () => {
  it('every code the decoder raised in these tests is registered with its severity', async () => {
    const { FINDING_CODES } = await import('./finding-codes.js');
    const seen: Array<{ code: string; severity: string }> = [];
    const { data, crc } = bytes('mmkv.default');
    const cases: Array<[Uint8Array, Uint8Array | undefined]> = [
      [data, crc],
      [data.subarray(0, 20000), crc],
      [data, Buffer.from(crc).fill(7, 0, 1)],
      [data, crc.subarray(0, 40)],
      [bytes('key-expire').data, bytes('key-expire').crc],
      [bytes('overwrites').data, undefined],
    ];
    for (const [d, c] of cases) seen.push(...readMmkvInstance(d, c, { nowMs: Date.now(), as: { theme: 'double' } }).findings);
    expect(seen.length).toBeGreaterThan(5);
    for (const f of seen) expect(FINDING_CODES[f.code]?.severity, f.code).toBe(f.severity);
  });
});

describe('encryption details', () => {
  /** Re-encrypts the plain `overwrites` region the way MMKV would, with the given meta version. */
  function encrypted(key: string, bits: 128 | 256, metaVersion: number): { data: Buffer; crc: Buffer } {
    const { data, crc } = bytes('overwrites');
    const size = crc.readUInt32LE(28);
    const k = Buffer.alloc(bits / 8);
    k.set(Buffer.from(key, 'utf8').subarray(0, k.length));
    // meta version < 2 has no stored IV: MMKV uses the first 16 bytes of the padded key
    const iv = metaVersion >= 2 ? Buffer.from('00112233445566778899aabbccddeeff', 'hex') : Buffer.from(k.subarray(0, 16));
    const cipher = createCipheriv(bits === 128 ? 'aes-128-cfb' : 'aes-256-cfb', k, iv);
    const region = cipher.update(data.subarray(4, 4 + size));
    const out = Buffer.from(data);
    region.copy(out, 4);
    out.writeUInt32LE(size, 0); // older writers keep the size in the header
    const meta = Buffer.alloc(112);
    meta.writeUInt32LE(crc32(region), 0);
    meta.writeUInt32LE(metaVersion, 4);
    if (metaVersion >= 2) iv.copy(meta, 12);
    if (metaVersion >= 3) meta.writeUInt32LE(size, 28);
    return { data: out, crc: meta };
  }

  it('meta version 1: the IV is the padded key, the size is the header', () => {
    const { data, crc } = encrypted('old-key', 128, 1);
    const inst = readMmkvInstance(data, crc, { key: 'old-key' });
    expect(inst.meta.sizeSource).toBe('header');
    expect(inst.meta.aesBits).toBe(128);
    expect(inst.entries.map((e) => e.key).sort()).toEqual(['counter', 'recreated', 'same.value', 'session.token', 'status']);
  });

  it('AES-256 with a short key: zero-padded to 32 bytes, found without --aes', () => {
    const { data, crc } = encrypted('short', 256, 4);
    const inst = readMmkvInstance(data, crc, { key: 'short' });
    expect(inst.meta.aesBits).toBe(256);
    expect(inst.entries.find((e) => e.key === 'status')?.value).toBe('idle');
    expect(() => readMmkvInstance(data, crc, { key: 'short', aesBits: 128 })).toThrow(/wrong encryption key/);
  });

  it('a key longer than 32 bytes is cut, as MMKV does', () => {
    const long = '0123456789abcdef0123456789ABCDEF-and-more';
    const { data, crc } = encrypted(long, 256, 4);
    expect(readMmkvInstance(data, crc, { key: long }).entries).toHaveLength(5);
  });

  it('one item decrypted: read, but flagged MMKV_KEY_UNVERIFIED (a wrong key can parse as one item)', () => {
    const k = Buffer.alloc(16);
    k.set(Buffer.from('solo', 'utf8'));
    const iv = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const plain = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0x07]), Buffer.from([5]), Buffer.from('theme'), Buffer.from([5, 4]), Buffer.from('dark')]);
    const region = createCipheriv('aes-128-cfb', k, iv).update(plain);
    const data = Buffer.alloc(4096);
    data.writeUInt32LE(region.length, 0);
    region.copy(data, 4);
    const meta = Buffer.alloc(112);
    meta.writeUInt32LE(crc32(region), 0);
    meta.writeUInt32LE(4, 4);
    iv.copy(meta, 12);
    meta.writeUInt32LE(region.length, 28);
    const inst = readMmkvInstance(data, meta, { key: 'solo' });
    expect(inst.entries.map((e) => [e.key, e.value])).toEqual([['theme', 'dark']]);
    expect(inst.findings.filter((f) => f.code === 'MMKV_KEY_UNVERIFIED')).toHaveLength(1);
    // a store of several items vouches for its key: no such finding
    const several = encrypted('k', 128, 4);
    expect(readMmkvInstance(several.data, several.crc, { key: 'k' }).findings.map((f) => f.code)).not.toContain('MMKV_KEY_UNVERIFIED');
  });

  it('a wrong key whose garbage parses as one item with a control-character key is refused (found by the fuzz test)', () => {
    const { data, crc } = bytes('encrypted-aes256');
    expect(() => readMmkvInstance(data.subarray(0, 130), crc, { key: '_jf53}$UzCT' })).toThrow(/wrong encryption key/);
  });

  it('a damaged encrypted file with the right key recovers its complete items', () => {
    const { data, crc } = encrypted('k', 128, 4);
    const cut = data.subarray(0, 300);
    const inst = readMmkvInstance(cut, crc, { key: 'k' });
    expect(inst.verdict).toBe('damaged');
    expect(inst.entries.length).toBeGreaterThan(0);
    expect(inst.entries.every((e) => /^[a-z.]+$/.test(e.key))).toBe(true);
    // and with a wrong key, damage does not turn garbage into entries
    expect(() => readMmkvInstance(cut, crc, { key: 'not-k' })).toThrow(/wrong encryption key/);
  });
});

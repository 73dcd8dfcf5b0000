import { describe, expect, it } from 'vitest';
import { decodeModifiedUtf8, readVarint32, readVarint64, VARINT_BAD } from './mmkv-bytes.js';
import { decodeMmkvValueAs, inferMmkvValue } from './values.js';

const hex = (h: string): Buffer => Buffer.from(h, 'hex');

describe('value inference (react-native-mmkv conventions first)', () => {
  it.each([
    ['01', 'bool', true],
    ['0000000000002640', 'double', 11],
    ['046461726b', 'string', 'dark'],
    ['07f09f979defb88f', 'string', '🗝️'], // 8 bytes, but a length prefix that fits: a string
    ['05000102feff', 'bytes', '000102feff'],
    ['2a', 'int32', 42],
    ['d6ffffffffffffffff01', 'int32', -42],
    ['8180808080808010', 'double', Buffer.from('8180808080808010', 'hex').readDoubleLE(0)], // 8 bytes: RN would have written a double
    ['b5f693f088dcffffff01', 'int64', -1234567890123n],
    ['db0f4940', 'float', 3.1415927410125732],
  ])('%s → %s', (raw, type, value) => {
    const v = inferMmkvValue(hex(raw));
    expect(v.type).toBe(type);
    expect(v.value).toEqual(value);
  });

  it('`00` is undecidable and says so', () => {
    const v = inferMmkvValue(hex('00'));
    expect(v).toMatchObject({ type: 'bool', value: false });
    expect(v.alternatives).toContain('string');
    expect(decodeMmkvValueAs(hex('00'), 'string')?.value).toBe('');
  });

  it('64-bit integers stay exact', () => {
    expect(decodeMmkvValueAs(hex('8180808080808010'), 'int64')?.value).toBe(9007199254740993n);
    expect(decodeMmkvValueAs(hex('ffffffffffffffffff01'), 'uint64')?.value).toBe(18446744073709551615n);
    expect(decodeMmkvValueAs(hex('ffffffff0f'), 'uint32')?.value).toBe(4294967295);
  });

  it('--as refuses payloads of the wrong shape', () => {
    expect(decodeMmkvValueAs(hex('01'), 'double')).toBeUndefined();
    expect(decodeMmkvValueAs(hex('0a6869'), 'string')).toBeUndefined();
    expect(decodeMmkvValueAs(hex('1001'), 'double_vector')).toBeUndefined();
  });
});

describe('primitive encodings', () => {
  it('varints: 32-bit lengths keep the low bits, refuse negatives and truncation', () => {
    const pos = { at: 0 };
    expect(readVarint32(hex('ac02'), pos, 2)).toBe(300);
    expect(pos.at).toBe(2);
    expect(readVarint32(hex('ffffffff0f'), { at: 0 }, 5)).toBe(VARINT_BAD); // bit 31 set
    expect(readVarint32(hex('ff'), { at: 0 }, 1)).toBe(VARINT_BAD);
    expect(readVarint32(hex('ffffffffffffffffffff01'), { at: 0 }, 11)).toBe(VARINT_BAD);
    expect(readVarint64(hex('fbffffffffffffffff01'), { at: 0 }, 10)).toBe(2n ** 64n - 5n);
  });

  it('modified UTF-8: surrogate pairs and c0 80', () => {
    expect(decodeModifiedUtf8(hex('6b65792eeda0bdedb491'))).toBe('key.🔑');
    expect(decodeModifiedUtf8(hex('61c08062'))).toBe('a\u0000b');
    expect(decodeModifiedUtf8(hex('eda0bd'))).toBeUndefined(); // lone surrogate
    expect(decodeModifiedUtf8(hex('ff'))).toBeUndefined();
  });
});

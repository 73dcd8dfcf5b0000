/**
 * A plain MMKV instance (v2.4 style: no size in the data header) holding `items` in order, with a
 * `.crc` meta that vouches for them (CRC-32, version 4, actual size); `expiring` sets the
 * key-expiration flag. For tests that need stores of a given shape or size.
 */
import { crc32 } from 'node:zlib';
import { encodeVarint32 } from '../readers/mmkv-bytes.js';

export function plainMmkvStore(items: Iterable<readonly [Uint8Array, Uint8Array]>, expiring = false): { data: Buffer; crc: Buffer } {
  const parts: Buffer[] = [Buffer.from([0, 0, 0, 0, 0xd9, 0x87, 0xd5, 0x35])];
  for (const [k, v] of items) parts.push(encodeVarint32(k.length), Buffer.from(k), encodeVarint32(v.length), Buffer.from(v));
  const data = Buffer.concat(parts);
  const crc = Buffer.alloc(112);
  crc.writeUInt32LE(crc32(data.subarray(4)), 0);
  crc.writeUInt32LE(4, 4);
  crc.writeUInt32LE(data.length - 4, 28);
  if (expiring) crc[104] = 1;
  return { data, crc };
}

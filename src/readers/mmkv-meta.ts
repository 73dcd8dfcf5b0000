/**
 * The `.crc` meta file of an MMKV instance: a raw dump of MMKVMetaInfo (112 bytes, little-endian)
 * followed by zero padding to a page. Files shorter than 112 bytes come from MMKV 1.0.x: the
 * missing bytes read as zero, exactly as MMKV treats them. Parsing never fails; judging the
 * values (unknown version, impossible sizes) is the decoder's job.
 */

export const META_STRUCT_BYTES = 112;

export interface MmkvMeta {
  crcDigest: number;
  version: number;
  sequence: number;
  /** AES IV of the current stream (meaningful when version >= 2). */
  iv: Buffer;
  ivHex: string;
  /** Authoritative data-region length when version >= 3. */
  actualSize: number;
  lastConfirmedActualSize: number;
  lastConfirmedCrcDigest: number;
  /** u64; bit 0 = key expiration enabled. */
  flags: bigint;
  /** Bytes the `.crc` file really had (< 112 means an old or truncated meta file). */
  storedBytes: number;
}

export function parseMmkvMeta(crc: Uint8Array): MmkvMeta {
  // Copy into a zeroed struct so short (old or damaged) files read as zero, like MMKV does.
  const s = Buffer.alloc(META_STRUCT_BYTES);
  s.set(crc.subarray(0, META_STRUCT_BYTES));
  const iv = Buffer.from(s.subarray(12, 28));
  return {
    crcDigest: s.readUInt32LE(0),
    version: s.readUInt32LE(4),
    sequence: s.readUInt32LE(8),
    iv,
    ivHex: iv.toString('hex'),
    actualSize: s.readUInt32LE(28),
    lastConfirmedActualSize: s.readUInt32LE(32),
    lastConfirmedCrcDigest: s.readUInt32LE(36),
    flags: s.readBigUInt64LE(104),
    storedBytes: crc.length,
  };
}

/** Key expiration: every value payload carries a trailing u32 expiry stamp. */
export function hasKeyExpiration(meta: MmkvMeta | undefined): boolean {
  return meta !== undefined && (meta.flags & 1n) === 1n;
}

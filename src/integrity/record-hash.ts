/**
 * Record hashes: a 64-bit number per canonical record text, and the bucket (0–255) a record id
 * falls in. xxh64 from xxhash-wasm is the default: measured here on 1M canonical records it was
 * the fastest of @node-rs/xxhash (native, 1.6M/s: the N-API call costs more than the hash),
 * xxhash-wasm (2.8M/s), hash-wasm (0.6M/s) and node:crypto SHA-256 (0.3M/s). `sha256` is there
 * for users who want a cryptographic hash; its first 8 bytes are the record hash. Buckets always
 * come from xxh32 of the id, whatever the record hash, so both sides of a comparison agree.
 */
import { createHash } from 'node:crypto';
import xxhash from 'xxhash-wasm';
import { canonicalRecord, toRules, type CanonicalOptions, type CanonicalRules, type LogicalRecord } from './canonical.js';

export type HashAlgorithm = 'xxh64' | 'sha256';
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['xxh64', 'sha256'];

export interface RecordHasher {
  readonly algorithm: HashAlgorithm;
  /** The 64-bit hash of a canonical record text. */
  hash(canonical: string): bigint;
  /** The bucket (0–255) of a record id. */
  bucketOf(id: string): number;
  /**
   * xxh64 only: the same two hashes over UTF-8 bytes (for text SQLite wrote): `h64Raw(utf8(t))`
   * equals `hash(t)` and `h32Raw(utf8(id)) & 0xff` equals `bucketOf(id)`.
   */
  readonly raw?: { h32Raw(bytes: Uint8Array): number; h64Raw(bytes: Uint8Array): bigint };
}

let wasm: ReturnType<typeof xxhash> | undefined;

export async function createRecordHasher(algorithm: HashAlgorithm = 'xxh64'): Promise<RecordHasher> {
  wasm ??= xxhash();
  const { h64, h32, h32Raw, h64Raw } = await wasm;
  const bucketOf = (id: string): number => h32(id) & 0xff;
  if (algorithm === 'sha256') {
    return {
      algorithm,
      hash: (canonical) => createHash('sha256').update(canonical).digest().readBigUInt64BE(0),
      bucketOf,
    };
  }
  return { algorithm, hash: (canonical) => h64(canonical), bucketOf, raw: { h32Raw, h64Raw } };
}

/** A 64-bit hash as 16 lowercase hex digits (how digests and checksums are written down). */
export function hex64(h: bigint): string {
  return h.toString(16).padStart(16, '0');
}

/**
 * The `row_checksum` the unified database stores: the record hash of the canonical record, as
 * 16 hex digits for xxh64 or the full 64 for sha256 (so a checker can tell them apart by length).
 */
export function rowChecksum(
  record: LogicalRecord,
  hasher: RecordHasher,
  rules: CanonicalRules | CanonicalOptions = {},
): string {
  const canonical = canonicalRecord(record, toRules(rules));
  if (hasher.algorithm === 'sha256') return createHash('sha256').update(canonical).digest('hex');
  return hex64(hasher.hash(canonical));
}

/** Which algorithm wrote a stored checksum, from its length; undefined for anything else. */
export function checksumAlgorithm(stored: string): HashAlgorithm | undefined {
  if (/^[0-9a-f]{16}$/.test(stored)) return 'xxh64';
  if (/^[0-9a-f]{64}$/.test(stored)) return 'sha256';
  return undefined;
}

/**
 * Per-collection digests: a record count and the sum of record hashes modulo 2^64, kept in 256
 * buckets chosen by a hash of the record id. A sum is order-independent and composable (workers
 * scanning rowid ranges add up; like PowerSync's bucket checksums), and the buckets let two
 * sources be compared top-down: only mismatching buckets need their records listed. The sums are
 * `BigUint64Array` cells, so the modulo comes from the array itself and no per-row object is kept.
 */
import { canonicalRecord, toRules, type CanonicalOptions, type CanonicalRules, type LogicalRecord } from './canonical.js';
import { hex64, type RecordHasher } from './record-hash.js';

export const BUCKET_COUNT = 256;

/** A collection's digest as written down (JSON-safe; 64-bit sums as 16 hex digits). */
export interface CollectionDigest {
  count: number;
  sum: string;
  buckets: { counts: number[]; sums: string[] };
}

export class DigestAccumulator {
  readonly counts: Float64Array;
  readonly sums: BigUint64Array;

  constructor(counts?: Float64Array, sums?: BigUint64Array) {
    this.counts = counts ?? new Float64Array(BUCKET_COUNT);
    this.sums = sums ?? new BigUint64Array(BUCKET_COUNT);
  }

  add(bucket: number, hash: bigint): void {
    this.counts[bucket]! += 1;
    this.sums[bucket]! += hash;
  }

  merge(other: { counts: ArrayLike<number>; sums: ArrayLike<bigint> }): this {
    for (let b = 0; b < BUCKET_COUNT; b++) {
      this.counts[b]! += other.counts[b]!;
      this.sums[b]! += other.sums[b]!;
    }
    return this;
  }

  get count(): number {
    let n = 0;
    for (let b = 0; b < BUCKET_COUNT; b++) n += this.counts[b]!;
    return n;
  }

  get sum(): bigint {
    let s = 0n;
    for (let b = 0; b < BUCKET_COUNT; b++) s += this.sums[b]!;
    return BigInt.asUintN(64, s);
  }

  toDigest(): CollectionDigest {
    return {
      count: this.count,
      sum: hex64(this.sum),
      buckets: { counts: Array.from(this.counts), sums: Array.from(this.sums, hex64) },
    };
  }

  static fromDigest(d: CollectionDigest): DigestAccumulator {
    return new DigestAccumulator(
      Float64Array.from(d.buckets.counts),
      BigUint64Array.from(d.buckets.sums, (h) => BigInt('0x' + h)),
    );
  }
}

/** Buckets whose count or sum differ, ascending. */
export function mismatchedBuckets(a: DigestAccumulator, b: DigestAccumulator): number[] {
  const out: number[] = [];
  for (let i = 0; i < BUCKET_COUNT; i++) {
    if (a.counts[i] !== b.counts[i] || a.sums[i] !== b.sums[i]) out.push(i);
  }
  return out;
}

/**
 * The digest of a stream of records: what migrate records at plan time and verify recomputes
 * from the written rows. Streams, so a collection never has to fit in memory.
 */
export async function digestRecords(
  records: Iterable<LogicalRecord> | AsyncIterable<LogicalRecord>,
  hasher: RecordHasher,
  options: CanonicalRules | CanonicalOptions = {},
): Promise<CollectionDigest> {
  const rules = toRules(options);
  const acc = new DigestAccumulator();
  for await (const r of records) acc.add(hasher.bucketOf(r.id), hasher.hash(canonicalRecord(r, rules)));
  return acc.toDigest();
}

/**
 * The integrity API other areas build on (migrate computes `row_checksum`s and per-collection
 * digests with it; verify compares sources with it). Everything here is pure apart from the
 * one-time WASM start of the hasher.
 *
 *   const hasher = await createRecordHasher();            // xxh64, or 'sha256'
 *   const rules = resolveRules();                          // the declared canonical rules
 *   row.row_checksum = rowChecksum({ id, fields }, hasher, rules);
 *   const digest = await digestRecords(records, hasher, rules);   // { count, sum, buckets }
 */
export {
  camelCase,
  canonicalFields,
  canonicalRecord,
  encodeValue,
  normaliseTimestampMs,
  resolveRules,
  snakeCase,
  SYNC_ONLY_FIELDS,
  toRules,
  type CanonicalOptions,
  type CanonicalRules,
  type LogicalRecord,
  type NullRule,
  type NumberRule,
} from './canonical.js';
export { checksumAlgorithm, createRecordHasher, hex64, rowChecksum, HASH_ALGORITHMS, type HashAlgorithm, type RecordHasher } from './record-hash.js';
export { BUCKET_COUNT, DigestAccumulator, digestRecords, mismatchedBuckets, type CollectionDigest } from './digest.js';
export { diffFields, type FieldDifference } from './record-diff.js';
export { compileRowEncoder, convertColumnValue, rowToRecord, type FieldKind, type FieldSpec, type RowEncoder } from './row-encoder.js';

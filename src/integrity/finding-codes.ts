/** Finding codes `syncdoc verify` emits (README lists each; the docs test checks it). */
export const FINDING_CODES: Record<string, { severity: 'error' | 'warn' | 'info'; meaning: string }> = {
  VERIFY_SQLITE_INTEGRITY: { severity: 'error', meaning: 'PRAGMA integrity_check reported damage in a SQLite store' },
  VERIFY_FOREIGN_KEY: { severity: 'error', meaning: 'PRAGMA foreign_key_check found a row whose parent is missing' },
  VERIFY_MMKV_CRC: { severity: 'error', meaning: "an MMKV file's data does not match the CRC in its .crc companion" },
  VERIFY_MMKV_NO_CRC: { severity: 'warn', meaning: 'an MMKV file has no .crc companion, so its data cannot be checked' },
  VERIFY_MMKV_UNREADABLE: { severity: 'error', meaning: 'an MMKV file could not be decoded for its CRC check' },
  VERIFY_ROW_CHECKSUM: { severity: 'error', meaning: "a row's stored row_checksum differs from the checksum recomputed from its data" },
  VERIFY_ROW_CHECKSUM_MISSING: { severity: 'warn', meaning: 'rows without a row_checksum (or with one in an unknown format) could not be checked' },
  VERIFY_QUEUE_ORPHAN: { severity: 'error', meaning: 'an open create/update op in the outbox points at a record that is not in its table' },
  VERIFY_QUEUE_DEPENDENCY_MISSING: { severity: 'error', meaning: 'an outbox op depends on an op id that is not in the queue' },
  VERIFY_MIGRATION_DIGEST: { severity: 'error', meaning: "a collection's digest recorded in migration_log differs from the digest of its rows now" },
  VERIFY_LEGACY_ADAPTER: { severity: 'info', meaning: 'no migrate profile matches the snapshot, so its SQLite tables were read one table per collection' },
  VERIFY_DIFFERENCES_TRUNCATED: { severity: 'info', meaning: 'more differences than --max-differences; only the first ones are listed (all are counted)' },
};

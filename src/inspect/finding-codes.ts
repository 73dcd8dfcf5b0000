/**
 * Finding codes `syncdoc inspect` raises about SQLite stores and sync queues. Stable: scripts match
 * on them; README lists every one (checked by src/docs.test.ts). Snapshot-opening codes live in
 * src/snapshot/finding-codes.ts.
 */
export const FINDING_CODES: Record<string, { severity: 'error' | 'warn' | 'info'; meaning: string }> = {
  SQLITE_UNREADABLE: { severity: 'error', meaning: 'a SQLite store cannot be opened (corrupt, truncated header, encrypted)' },
  SQLITE_TRUNCATED: { severity: 'error', meaning: 'a SQLite file is shorter than its header says: pages are missing' },
  SQLITE_QUICK_CHECK_FAILED: { severity: 'error', meaning: '`PRAGMA quick_check` reported damage' },
  SQLITE_HOT_JOURNAL: {
    severity: 'warn',
    meaning: 'a -journal holds a transaction interrupted mid-write; it is rolled back (in the copy) as SQLite would',
  },
  SQLITE_READ_PROBLEM: { severity: 'warn', meaning: 'part of a SQLite store (a table, a pragma) could not be read; the rest was' },
  SQLITE_WAL_MISSING: {
    severity: 'warn',
    meaning: 'the header says WAL mode but no -wal file is beside the database: its newest writes may be missing',
  },
  SQLITE_WAL_INVALID: {
    severity: 'warn',
    meaning: 'the -wal file has a bad header; SQLite ignores it, so its writes are not in the database',
  },
  SQLITE_WAL_UNCOMMITTED: { severity: 'warn', meaning: 'the -wal ends with frames of an unfinished transaction; SQLite ignores them' },
  SQLITE_WAL_ONLY_ROWS: { severity: 'info', meaning: 'rows that exist only in the -wal (a copy of the main file alone would miss them)' },
  SQLITE_NO_FLAVOUR: {
    severity: 'info',
    meaning: 'no known layout (Drizzle, WatermelonDB, hybrid queue, triple layer, AsyncStorage) matched',
  },
  QUEUE_PENDING_OPS: { severity: 'info', meaning: 'operations waiting in a sync queue / outbox, with the age of the oldest' },
  QUEUE_UNREADABLE: { severity: 'warn', meaning: 'a sync queue / outbox exists but could not be read' },
  QUEUE_FAILED_OPS: { severity: 'warn', meaning: 'queue operations that failed (status failed/dead, or an error recorded)' },
};

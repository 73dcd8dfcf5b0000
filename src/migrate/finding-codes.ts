/**
 * Finding codes `migrate` emits (README lists every one; the docs test checks it). Findings are
 * about the data being migrated; the full per-record detail is in the report and migration_log.
 */
export const FINDING_CODES: Record<string, { severity: 'error' | 'warn' | 'info'; meaning: string }> = {
  MIGRATE_WAL_MISSING: {
    severity: 'warn',
    meaning: 'a source database says WAL mode but its -wal is missing: its newest writes are gone; the main file was migrated',
  },
  MIGRATE_UI_FIELDS_DROPPED: {
    severity: 'info',
    meaning: 'fields of a key-value store copy that have no column in the SQLite table of the same collection (UI state) are not migrated',
  },
  MIGRATE_SET_ASIDE: {
    severity: 'warn',
    meaning: 'source rows that cannot be records (no id, not an object) were set aside; their raw values are kept in migration_log.report',
  },
  MIGRATE_TYPE_FIDELITY: {
    severity: 'warn',
    meaning: 'values a column cannot represent (or that were converted) are listed in the type-fidelity section; the record is kept with the raw value',
  },
  MIGRATE_CONFLICT: {
    severity: 'warn',
    meaning: 'records the conflict rule could not decide (no update times, concurrent vector clocks, server id unknown to the export): sync_status=conflict',
  },
  MIGRATE_DUPLICATES_MERGED: {
    severity: 'info',
    meaning: 'copies of one record inside one layer (an id twice in a store array, rows sharing a server id) were merged; the report lists them',
  },
  MIGRATE_OPS_DEAD: {
    severity: 'warn',
    meaning: 'queue entries kept as dead, never executed: bad JSON, unknown collection or op, prototype keys, orphan (record in no source)',
  },
};

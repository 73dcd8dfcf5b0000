/**
 * Finding codes raised while opening a snapshot (walking folders, detecting stores, extracting
 * archives). Stable: scripts match on them; README lists every one (checked by src/docs.test.ts).
 */
export const FINDING_CODES: Record<string, { severity: 'error' | 'warn' | 'info'; meaning: string }> = {
  SNAPSHOT_LINK_OUTSIDE: {
    severity: 'warn',
    meaning: 'a symbolic link points outside the snapshot folder (or nowhere); it was not followed',
  },
  SNAPSHOT_UNREADABLE_ENTRY: {
    severity: 'warn',
    meaning: 'a file or folder in the snapshot could not be read (permissions, I/O error); it was skipped',
  },
  SNAPSHOT_WALK_LIMIT: {
    severity: 'warn',
    meaning: 'the snapshot has more files or deeper folders than syncdoc reads; the rest was skipped',
  },
  SNAPSHOT_EMPTY_FILE: { severity: 'warn', meaning: 'a file named like a database (.db, .sqlite…) is empty' },
  SNAPSHOT_UNRECOGNISED_FILE: {
    severity: 'warn',
    meaning: 'a file named like a database is not SQLite (corrupt, encrypted or another format)',
  },
  SNAPSHOT_NESTED_ARCHIVE: { severity: 'info', meaning: 'an archive inside the snapshot was not opened (pass it to syncdoc on its own)' },
  SNAPSHOT_ORPHAN_COMPANION: {
    severity: 'warn',
    meaning: 'a -wal or -journal file sits without its database: the writes it holds cannot be read',
  },
  ARCHIVE_ENTRY_REFUSED: {
    severity: 'warn',
    meaning: 'an archive entry was not extracted: its path escapes the extraction folder, it is a link, or it is encrypted',
  },
};

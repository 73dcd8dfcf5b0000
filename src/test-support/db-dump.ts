/**
 * A database's whole content as one SHA-256: the schema, every table (by name) and every row (by
 * rowid; the unified schema has no WITHOUT ROWID table) with each value's storage class, so two files compare equal
 * exactly when they hold the same rows with the same types. Columns listed in `skip`
 * (`table.column`) are left out: values that change with syncdoc's version, not with its logic.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { quoteIdent } from '../readers/sqlite.js';

export function contentHash(path: string, skip: readonly string[] = []): string {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const hash = createHash('sha256');
    const tables = db.prepare("SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string; sql: string | null }>;
    for (const t of tables) {
      hash.update(`${t.name}\n${t.sql ?? ''}\n`);
      if (t.sql === null || !/^CREATE TABLE/i.test(t.sql)) continue;
      const cols = (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(t.name) as string[]).filter((c) => !skip.includes(`${t.name}.${c}`));
      const select = cols.map((c) => `typeof(${quoteIdent(c)}), quote(${quoteIdent(c)})`).join(', ');
      for (const row of db.prepare(`SELECT rowid, ${select} FROM ${quoteIdent(t.name)} ORDER BY rowid`).raw(true).iterate() as IterableIterator<unknown[]>) {
        hash.update(JSON.stringify(row.map((v) => (typeof v === 'bigint' ? v.toString() : v))) + '\n');
      }
    }
    return hash.digest('hex');
  } finally {
    db.close();
  }
}

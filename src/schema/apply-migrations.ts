/**
 * Applies the committed drizzle-kit migrations to a database with Drizzle's own migrator. The
 * folder is resolved relative to this module so it works both from `src/` (tests) and from the
 * compiled `dist/schema/` (the migrations ship as `src/schema/migrations`, listed in package.json
 * "files"). The migrator records each migration's sha256 and journal time, never the wall clock,
 * so two databases migrated from the same files are byte-identical.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';

const here = dirname(fileURLToPath(import.meta.url));

/** The folder holding `meta/_journal.json` and the `.sql` files drizzle-kit generated. */
export function migrationsFolder(): string {
  const candidates = [join(here, 'migrations'), join(here, '..', '..', 'src', 'schema', 'migrations')];
  const found = candidates.find((dir) => existsSync(join(dir, 'meta', '_journal.json')));
  if (found === undefined) {
    // a packaging bug, not bad input: the migrations must ship with the package
    throw new Error(`unified-schema migrations not found (looked in ${candidates.join(', ')})`);
  }
  return found;
}

export function applyUnifiedSchema(sqlite: Database.Database): void {
  migrate(drizzle(sqlite), { migrationsFolder: migrationsFolder() });
}

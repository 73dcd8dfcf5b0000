import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../test-support/cli.js';
import { applyUnifiedSchema, collectionColumns, COLLECTION_TABLES, migrationsFolder } from './index.js';

describe('unified schema', () => {
  it('the committed migrations match the schema (drizzle-kit generates nothing new)', () => {
    const work = mkdtempSync(join(tmpdir(), 'syncdoc-schema-'));
    const out = join(work, 'migrations');
    cpSync(migrationsFolder(), out, { recursive: true });
    const before = readdirSync(out).sort();
    const run = spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, 'node_modules', 'drizzle-kit', 'bin.cjs'),
        'generate',
        '--dialect',
        'sqlite',
        '--schema',
        join(REPO_ROOT, 'src', 'schema', 'tables.ts'),
        // drizzle-kit prefixes --out with './', so it must be relative to cwd
        '--out',
        'migrations',
      ],
      { cwd: work, encoding: 'utf8' },
    );
    const log = run.stdout + run.stderr;
    expect(run.status, log).toBe(0);
    expect(readdirSync(out).sort(), `drizzle-kit wrote a new migration; run it into src/schema/migrations:\n${log}`).toEqual(before);
    expect(log).toMatch(/No schema changes/);
  });

  it('the migrator creates every collection table with the sync columns', () => {
    const db = new Database(':memory:');
    applyUnifiedSchema(db);
    for (const collection of Object.keys(COLLECTION_TABLES)) {
      const cols = (db.prepare(`PRAGMA table_info(${collection})`).all() as Array<{ name: string; pk: number }>).map(
        (c) => c.name,
      );
      expect(cols.slice(0, 3)).toEqual(['client_id', 'server_id', 'user_id']);
      expect(cols.slice(-7)).toEqual([
        'created_at',
        'updated_at',
        'deleted_at',
        'version',
        'vector_clock',
        'sync_status',
        'row_checksum',
      ]);
      expect(collectionColumns(collection)?.domain.map((d) => d.name)).toEqual(cols.slice(3, -7));
    }
    for (const table of ['records', 'sync_queue', 'sync_metadata', 'migration_log', '__drizzle_migrations']) {
      expect(db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = ?`).get(table)).toEqual({ n: 1 });
    }
    // applying twice is a no-op (the journal is respected)
    applyUnifiedSchema(db);
    expect(db.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get()).toEqual({ n: 1 });
  });

  it('knows column kinds: booleans, JSON text, reals', () => {
    const kinds = (c: string) => Object.fromEntries(collectionColumns(c)!.domain.map((d) => [d.name, d.kind]));
    expect(kinds('tasks')).toEqual({ text: 'text', is_completed: 'boolean' });
    expect(kinds('moods')).toMatchObject({ tags: 'json', rating: 'integer' });
    expect(kinds('pins')).toMatchObject({ latitude: 'real', server_version: 'integer' });
    expect(collectionColumns('meditation')).toBeUndefined();
  });
});

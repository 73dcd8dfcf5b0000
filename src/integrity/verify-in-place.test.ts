// verify links a lone database file into its private folder instead of copying it: the user's
// folder must come out exactly as it went in (names, bytes, mtimes), whatever the journal mode,
// and the digests must be those of the copying path (a -wal beside the file, a symlinked input).
import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { applyUnifiedSchema } from '../schema/index.js';
import { scratchDir } from '../test-support/cli.js';
import { compareSources, type CompareReport } from './compare.js';
import { openRecordSource, type OpenedSource } from './open-source.js';

/** Every entry of `dir`: size, mtime (ns) and sha256, by name. */
function folderState(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const st = statSync(join(dir, name), { bigint: true });
    out[name] = `${st.size} ${st.mtimeNs} ${createHash('sha256').update(readFileSync(join(dir, name))).digest('hex')}`;
  }
  return out;
}

function insertMoods(db: Database.Database, from: number, to: number, note = 'walk'): void {
  const insert = db.prepare(
    `INSERT INTO moods (client_id, user_id, mood, rating, note, tags, created_at, updated_at, version, sync_status, row_checksum)
     VALUES (?, 'u_1', 'calm', ?, ?, '["a","café"]', ?, ?, 1, 'synced', '')`,
  );
  for (let i = from; i < to; i++) insert.run(`m${i}`, 1 + (i % 5), `${note} ${i}`, 1_730_000_000_000 + i, 1_730_000_000_000 + i);
}

/** A unified database in rollback-journal mode, alone in its folder. */
function rollbackDb(dir: string, note?: string): string {
  const path = join(dir, 'app.db');
  const db = new Database(path);
  applyUnifiedSchema(db);
  db.pragma('journal_mode = DELETE');
  insertMoods(db, 0, 300, note);
  db.close();
  return path;
}

/**
 * A WAL-mode database as pulled off a running app: the last 100 rows live only in the `-wal`
 * (copied while the writer still holds it open); `withWal: false` leaves the -wal behind, so the
 * file is in WAL mode with rows 0–199 only.
 */
function walDb(dir: string, withWal: boolean): string {
  const live = join(scratchDir(), 'live.db');
  const db = new Database(live);
  applyUnifiedSchema(db);
  db.pragma('journal_mode = WAL');
  insertMoods(db, 0, 200);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('wal_autocheckpoint = 0');
  insertMoods(db, 200, 300);
  const path = join(dir, 'app.db');
  copyFileSync(live, path);
  if (withWal) copyFileSync(live + '-wal', path + '-wal');
  db.close();
  return path;
}

async function verify(a: string, b: string, during?: (opened: OpenedSource[]) => void): Promise<CompareReport> {
  const opened: OpenedSource[] = [];
  try {
    opened.push(await openRecordSource(a));
    opened.push(await openRecordSource(b));
    during?.(opened);
    return await compareSources(opened[0]!.source, opened[1]!.source);
  } finally {
    for (const o of opened) await o.source.close();
  }
}

const storeInode = (o: OpenedSource): bigint => statSync(o.snapshot!.stores[0]!.localPath, { bigint: true }).ino;
const inode = (path: string): bigint => statSync(path, { bigint: true }).ino;
const moods = (r: CompareReport): CompareReport['collections'][number] | undefined => r.collections.find((c) => c.collection === 'moods');

describe('verify reads a lone database file through a link, never writing beside it', { timeout: 60_000 }, () => {
  it('rollback mode: linked, the folder unchanged, the digest that of the copying path (a -wal beside the file)', async () => {
    const dir = scratchDir();
    const lone = rollbackDb(dir);
    const walDir = scratchDir();
    const withWal = walDb(walDir, true);
    const before = [folderState(dir), folderState(walDir)];
    const report = await verify(lone, withWal, ([a, b]) => {
      expect(storeInode(a!)).toBe(inode(lone));
      // the -wal must be read with its database: copied, not linked
      expect(storeInode(b!)).not.toBe(inode(withWal));
      expect(b!.snapshot!.stores[0]!.companions.wal).toBeDefined();
    });
    expect(report.verdict).toBe('match');
    expect(moods(report)?.a).toEqual(moods(report)?.b);
    expect(moods(report)?.a?.count).toBe(300);
    expect([folderState(dir), folderState(walDir)]).toEqual(before);
  });

  it('WAL mode without its -wal: linked, no -wal/-shm made beside it; rows only the -wal held are missing', async () => {
    const dir = scratchDir();
    const noWal = walDb(dir, false);
    const full = rollbackDb(scratchDir());
    const before = folderState(dir);
    const report = await verify(noWal, full, ([a]) => {
      expect(storeInode(a!)).toBe(inode(noWal));
      expect(folderState(dir)).toEqual(before);
    });
    expect(moods(report)).toMatchObject({ status: 'mismatch', a: { count: 200 }, b: { count: 300 }, differences: 100 });
    expect(folderState(dir)).toEqual(before);
  });

  it('a symlinked input is copied (SQLite would follow the link), with the same digest as the linked file', async () => {
    const dir = scratchDir();
    const real = rollbackDb(dir);
    const other = rollbackDb(scratchDir(), 'run');
    const viaLink = join(scratchDir(), 'link.db');
    symlinkSync(real, viaLink);
    const before = folderState(dir);
    const report = await verify(viaLink, real, ([a, b]) => {
      expect(storeInode(a!)).not.toBe(inode(real));
      expect(storeInode(b!)).toBe(inode(real));
    });
    expect(report.verdict).toBe('match');
    expect(moods(report)?.a).toEqual(moods(report)?.b);
    // and a linked file with other notes differs in every row
    expect(moods(await verify(real, other))).toMatchObject({ status: 'mismatch', differences: 300 });
    expect(folderState(dir)).toEqual(before);
  });
});

import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { FIXTURES, hashTree, runCli, scratchDir } from '../test-support/cli.js';
import { runQuery } from './query.js';

const TRIPLE = join(FIXTURES, 'snapshots', 'triple-layer-legacy');
const ANDROID = join(FIXTURES, 'snapshots', 'asyncstorage-redux-persist-android');

describe('query over a snapshot', { timeout: 60_000 }, () => {
  it('lists MMKV, collection and attached SQLite tables in _tables', async () => {
    const r = await runQuery(TRIPLE, 'SELECT name, kind, rows FROM _tables ORDER BY name');
    expect(r.rows).toEqual([
      ['exercise_store_exercises', 'collection', 11],
      ['mindtrack', 'sqlite', null],
      ['mmkv_default', 'mmkv', 9],
      ['mood_store_moods', 'collection', 25],
      ['mood_store_pendingSync', 'collection', 9],
    ]);
  });

  it('joins a Zustand collection from MMKV with the attached SQLite table', async () => {
    const r = await runQuery(TRIPLE, 'SELECT count(*) AS n FROM mood_store_moods m JOIN mindtrack.moods s ON s.id = m.id');
    expect(r.columns).toEqual(['n']);
    expect(r.rows[0]![0]).toBeGreaterThan(15);
  });

  it('MMKV tables hold key, type, value and raw bytes', async () => {
    const r = await runQuery(TRIPLE, "SELECT key, type, value, hex(raw) FROM mmkv_default WHERE key IN ('theme', 'hasCompletedOnboarding', 'app.launchCount') ORDER BY key");
    expect(r.rows).toEqual([
      ['app.launchCount', 'double', 3, '0000000000000840'],
      ['hasCompletedOnboarding', 'bool', 1, '01'],
      ['theme', 'string', 'dark', '046461726B'],
    ]);
  });

  it('Android AsyncStorage: the key/value table and the redux-persist slices as tables', async () => {
    const r = await runQuery(ANDROID, "SELECT (SELECT count(*) FROM persist_root_quotes_items), (SELECT count(*) FROM persist_root_meditation_sessions), (SELECT value FROM asyncstorage_RKStorage WHERE key = '@app/onboarding_complete'), (SELECT count(*) FROM RKStorage.catalystLocalStorage)");
    expect(r.rows[0]).toEqual([11, 9, 'true', 3]);
  });

  it('iOS AsyncStorage (manifest + MD5 spill file) and an encrypted MMKV instance with its key', async () => {
    const root = scratchDir();
    const ios = join(root, 'RCTAsyncLocalStorage_V1');
    mkdirSync(ios);
    const md5 = createHash('md5').update('notes-store').digest('hex');
    writeFileSync(join(ios, md5), JSON.stringify({ state: { notes: [{ id: 'n1', body: 'x'.repeat(1500) }, { id: 'n2', body: 'short' }] }, version: 2 }));
    writeFileSync(join(ios, 'manifest.json'), JSON.stringify({ theme: 'dark', 'notes-store': null }));
    const mmkv = join(root, 'mmkv');
    mkdirSync(mmkv);
    for (const f of ['encrypted-aes128', 'encrypted-aes128.crc']) copyFileSync(join(FIXTURES, 'mmkv', f), join(mmkv, f));
    const r = await runQuery(root, "SELECT (SELECT value FROM asyncstorage_RCTAsyncLocalStorage_V1 WHERE key = 'theme'), (SELECT count(*) FROM notes_store_notes), (SELECT value FROM mmkv_encrypted_aes128 WHERE key = 'user.email')", { mmkv: { key: 'syncdoc-demo' } });
    expect(r.rows[0]).toEqual(['dark', 2, 'ada.lovelace@example.com']);
    // without the key the instance is skipped with a finding, the rest still answers
    const noKey = await runQuery(root, 'SELECT count(*) FROM notes_store_notes');
    expect(noKey.rows[0]).toEqual([2]);
    expect(noKey.findings).toEqual([expect.objectContaining({ code: 'QUERY_STORE_SKIPPED', store: 'mmkv/encrypted-aes128' })]);
  });

  it('refuses anything that writes, and reports bad SQL as a usage error', async () => {
    await expect(runQuery(TRIPLE, 'DELETE FROM mindtrack.moods')).rejects.toThrow(UsageError);
    await expect(runQuery(TRIPLE, 'INSERT INTO mmkv_default VALUES (1,2,3,4,5)')).rejects.toThrow(/read-only/);
    await expect(runQuery(TRIPLE, "ATTACH DATABASE '/tmp/x.db' AS x")).rejects.toThrow(/read-only/);
    await expect(runQuery(TRIPLE, 'SELECT * FROM nope')).rejects.toThrow(/no such table: nope/);
  });

  it('--redact replaces free text in results', async () => {
    const plain = await runQuery(TRIPLE, 'SELECT note FROM mood_store_moods WHERE note IS NOT NULL LIMIT 1');
    const redacted = await runQuery(TRIPLE, 'SELECT note FROM mood_store_moods WHERE note IS NOT NULL LIMIT 1', { redact: true });
    expect(redacted.rows[0]![0]).toMatch(/^‹text-\d+›$/);
    expect(redacted.rows[0]![0]).not.toBe(plain.rows[0]![0]);
  });
});

describe('syncdoc query (CLI)', { timeout: 60_000 }, () => {
  it('prints --json, leaves the snapshot byte-identical', async () => {
    const before = hashTree(TRIPLE);
    const res = await runCli(['query', TRIPLE, 'SELECT key FROM mmkv_default ORDER BY key LIMIT 2', '--json']);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as { columns: string[]; rows: unknown[][]; rowCount: number };
    expect(doc.columns).toEqual(['key']);
    expect(doc.rows).toEqual([['app.launchCount'], ['exercise-store']]);
    const table = await runCli(['query', TRIPLE, 'SELECT count(*) AS n FROM mindtrack.moods']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/│ n +│/);
    expect(hashTree(TRIPLE)).toEqual(before);
  });

  it('a write statement exits 2', async () => {
    const res = await runCli(['query', TRIPLE, 'DROP TABLE mindtrack.moods']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/read-only/);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSnapshot } from '../snapshot/open.js';
import { FIXTURES } from '../test-support/cli.js';
import { compareRecord, inspectKeyValueStores, type CrossLayerRecord } from './cross-layer.js';

const TRIPLE = join(FIXTURES, 'snapshots', 'triple-layer-legacy');

interface TruthRecord {
  mmkv_relation: string;
}

describe('cross-layer duplicates (SQLite ↔ MMKV Zustand stores)', () => {
  it('agrees with truth.json on every record held by both layers', async () => {
    const snap = await openSnapshot(TRIPLE);
    const result = (() => {
      try {
        return inspectKeyValueStores(snap);
      } finally {
        snap.close();
      }
    })();
    const truth = (JSON.parse(readFileSync(join(TRIPLE, 'truth.json'), 'utf8')) as { expected_final_state: { records: Record<string, TruthRecord> } }).expected_final_state.records;
    const mine = new Map<string, CrossLayerRecord>();
    for (const p of result.crossLayer) for (const r of p.records) mine.set(`${p.table}:${r.id}`, r);
    const relationOf = (r: CrossLayerRecord | undefined): string =>
      r === undefined ? 'not in both' : r.deletedInSqlite ? 'deleted_in_sqlite_live_in_mmkv' : r.equal ? 'identical' : r.newer === 'key-value' ? 'mmkv_newer' : r.newer === 'sqlite' ? 'mmkv_older' : `differs (${r.newer})`;
    const expectedOf = (rel: string): string => (rel === 'absent' || rel.startsWith('mmkv_only') ? 'not in both' : rel);
    const got = Object.fromEntries(Object.keys(truth).map((k) => [k, relationOf(mine.get(k))]));
    const want = Object.fromEntries(Object.entries(truth).map(([k, t]) => [k, expectedOf(t.mmkv_relation)]));
    expect(got).toEqual(want);
    expect(mine.size).toBe(31);

    expect(result.stores).toEqual([expect.objectContaining({ store: 'mmkv/mmkv.default', kind: 'mmkv', keys: 9 })]);
    const codes = result.findings.map((f) => f.code);
    expect(codes.filter((c) => c === 'CROSS_LAYER_DUPLICATE_EQUAL')).toHaveLength(2);
    expect(codes.filter((c) => c === 'CROSS_LAYER_DUPLICATE_DIFFERS')).toHaveLength(9);
    expect(codes).toContain('CROSS_LAYER_ONLY_IN_KV');
  });

  it('compares through naming and unit differences, and names the differing fields', () => {
    const row = { id: 'a', updated_at: 1700000000, tags_json: '["x","y"]', is_done: 1, note: 'old', sync_status: 'pending' };
    const same = compareRecord('a', row, { id: 'a', updatedAt: '2023-11-14T22:13:20Z', tags: ['x', 'y'], isDone: true, note: 'old', emoji: '🙂' }, 'id', 'id');
    expect(same).toMatchObject({ equal: true, newer: 'same', differingFields: [] });
    const diff = compareRecord('a', row, { id: 'a', updatedAt: 1700000005000, tags: ['x'], isDone: true, note: 'new' }, 'id', 'id');
    expect(diff).toMatchObject({ equal: false, newer: 'key-value', differingFields: ['updated_at', 'tags_json', 'note'] });
  });
});

describe('key-value stores in inspect', () => {
  it('an encrypted MMKV instance without a key is a warning, not damage', async () => {
    const { copyFileSync, mkdirSync } = await import('node:fs');
    const { scratchDir } = await import('../test-support/cli.js');
    const dir = join(scratchDir(), 'mmkv');
    mkdirSync(dir);
    for (const f of ['encrypted-aes128', 'encrypted-aes128.crc', 'overwrites', 'overwrites.crc']) copyFileSync(join(FIXTURES, 'mmkv', f), join(dir, f));
    const snap = await openSnapshot(dir);
    try {
      const result = inspectKeyValueStores(snap);
      expect(result.findings).toEqual([expect.objectContaining({ code: 'MMKV_ENCRYPTED', severity: 'warn', store: 'encrypted-aes128' })]);
      expect(result.stores.find((s) => s.store === 'overwrites')).toMatchObject({ keys: 5, removedKeys: 2, integrity: { status: 'verified' } });
      expect(result.stores.find((s) => s.store === 'encrypted-aes128')?.error).toMatch(/encrypted/);
    } finally {
      snap.close();
    }
  });
});

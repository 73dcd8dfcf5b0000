import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { copyFixture, scratchDir } from '../test-support/cli.js';
import { isAndroidAsyncStorage, readAndroidAsyncStorage, readIosAsyncStorage } from './asyncstorage.js';
import { decodeJsonString } from './values-collections.js';

interface Truth {
  stores: {
    raw_keys: Record<string, string>;
    persist_root_meta: { version: number };
    slices: Record<string, { items_field: string; count: number; state: Record<string, unknown> }>;
  };
}

describe('Android AsyncStorage (RKStorage) with redux-persist', () => {
  it('reads every key and decodes persist:root into its slices, as truth.json says', () => {
    const dir = copyFixture('snapshots/asyncstorage-redux-persist-android');
    const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Truth;
    const db = new Database(join(dir, 'databases', 'RKStorage'), { readonly: true });
    try {
      expect(isAndroidAsyncStorage(db)).toBe(true);
      const store = readAndroidAsyncStorage(db, 'databases/RKStorage');
      expect(store.entries.map((e) => e.key).sort()).toEqual(Object.keys(truth.stores.raw_keys).sort());
      expect(store.entries.find((e) => e.key === '@app/device_id')?.value).toBe(truth.stores.raw_keys['@app/device_id']);
      const root = store.jsonStores.find((s) => s.key === 'persist:root')!;
      expect(root.envelope).toBe('redux-persist');
      expect(root.version).toBe(truth.stores.persist_root_meta.version);
      const slices = root.state as Record<string, unknown>;
      for (const [name, slice] of Object.entries(truth.stores.slices)) {
        expect(slices[name], name).toEqual(slice.state);
        const coll = store.collections.find((c) => c.path === `${name}.${slice.items_field}`)!;
        expect(coll.records, name).toHaveLength(slice.count);
        expect(coll.name).toBe(`persist:root.${name}.${slice.items_field}`);
      }
      expect(store.findings).toEqual([]);
    } finally {
      db.close();
    }
  });
});

describe('iOS AsyncStorage (RCTAsyncLocalStorage_V1)', () => {
  it('reads inline values and MD5-named spill files, and reports a missing spill file', () => {
    const dir = scratchDir();
    const bigState = JSON.stringify({ state: { notes: [{ id: 'n1', text: 'x'.repeat(2000) }, { id: 'n2', text: 'y' }] }, version: 3 });
    const md5 = (k: string): string => createHash('md5').update(k).digest('hex');
    writeFileSync(join(dir, md5('notes-store')), bigState);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ theme: 'dark', 'notes-store': null, 'lost-store': null }));
    const store = readIosAsyncStorage(join(dir, 'manifest.json'), 'RCTAsyncLocalStorage_V1/manifest.json');
    expect(store.entries.map((e) => e.key)).toEqual(['theme', 'notes-store']);
    expect(store.entries[1]).toMatchObject({ spillFile: md5('notes-store'), json: 'zustand', value: bigState });
    expect(store.collections.map((c) => [c.name, c.records.length, c.version])).toEqual([['notes-store.notes', 2, 3]]);
    expect(store.findings).toEqual([expect.objectContaining({ code: 'ASYNCSTORAGE_SPILL_MISSING', ref: 'lost-store', severity: 'error' })]);
  });

  it('a manifest that is not JSON is unusable input', () => {
    const dir = scratchDir();
    writeFileSync(join(dir, 'manifest.json'), '{not json');
    expect(() => readIosAsyncStorage(join(dir, 'manifest.json'), 'manifest.json')).toThrow(InputError);
  });
});

describe('JSON values into collections', () => {
  it('plain JSON arrays with ids, duplicates resolved to the later entry', () => {
    const d = decodeJsonString('list', JSON.stringify([{ id: 1, v: 'a' }, { id: 2 }, { id: 1, v: 'b' }]))!;
    expect(d.envelope).toBe('json');
    expect(d.collections[0]!.records).toEqual([{ id: 2 }, { id: 1, v: 'b' }]);
    expect(d.problems.map((p) => p.code)).toEqual(['COLLECTION_DUPLICATE_ID']);
  });

  it('JSON-looking text that does not parse is a problem, not an exception; other text is not JSON', () => {
    expect(decodeJsonString('k', '{"state":')!.problems[0]!.code).toBe('VALUE_JSON_UNPARSEABLE');
    expect(decodeJsonString('k', 'dark')).toBeUndefined();
  });
});

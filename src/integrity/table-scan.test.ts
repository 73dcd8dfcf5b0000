// runScan over any rowid layout (sparse, negative, far beyond the row count, split into ranges, a
// column shadowing `rowid`): the digest and the bucket hashes must equal those of the records
// streamed one by one through canonicalRecord.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../test-support/cli.js';
import { comparisonContext } from './compare.js';
import { DigestAccumulator, digestRecords } from './digest.js';
import { canonicalRecord } from './canonical.js';
import { createRecordHasher } from './record-hash.js';
import { rowToRecord } from './row-encoder.js';
import { runScan, type TableSpec } from './table-scan.js';

const ROWS = 10_000;

function build(shadow: boolean): { db: Database.Database; spec: TableSpec } {
  const db = new Database(join(scratchDir(), 't.db'));
  db.exec(`CREATE TABLE t (id TEXT NOT NULL, v INTEGER, note TEXT${shadow ? ', rowid TEXT' : ''})`);
  const ins = db.prepare(`INSERT INTO t (rowid, id, v, note) VALUES (?, ?, ?, ?)`);
  const insShadow = db.prepare(`INSERT INTO t (id, v, note, rowid) VALUES (?, ?, ?, ?)`);
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      // sparse and partly negative rowids, with a jump far beyond the row count
      const rowid = i < 100 ? -5000 + i * 7 : i < 9000 ? i * 13 : 2 ** 40 + i;
      if (shadow) insShadow.run(`r${i}`, i % 3 === 0 ? null : i, `n${i % 17}`, `x${i}`);
      else ins.run(rowid, `r${i}`, i % 3 === 0 ? null : i, `n${i % 17}`);
    }
  })();
  const spec: TableSpec = {
    collection: 't',
    table: 't',
    idSql: '"id"',
    columns: [
      { sql: '"v"', field: 'v', kind: 'integer' },
      { sql: '"note"', field: 'note', kind: 'text' },
    ],
    hasRowid: true,
  };
  return { db, spec };
}

describe('runScan', () => {
  for (const shadow of [false, true]) {
    it(`equals the record-by-record digest${shadow ? ' (a column named rowid)' : ''}`, async () => {
      const { db, spec } = build(shadow);
      const hasher = await createRecordHasher();
      const { rules } = comparisonContext({}, false);
      const records = (db.prepare('SELECT id, v, note FROM t').raw().all() as unknown[][]).map((r) => rowToRecord(spec.columns, r));
      const expected = await digestRecords(records, hasher, rules);
      const whole = runScan(db, { mode: 'digest', dbPath: '', spec, range: null }, hasher, rules);
      expect(whole.mode === 'digest' && new DigestAccumulator(whole.counts, whole.sums).toDigest()).toEqual(expected);
      if (!shadow) {
        // two ranges that split the rowid space add up to the whole
        const { lo, hi } = db.prepare('SELECT min(rowid) AS lo, max(rowid) AS hi FROM t').get() as { lo: number; hi: number };
        const mid = 50_000;
        const acc = new DigestAccumulator();
        for (const range of [[lo, mid], [mid + 1, hi]] as const) {
          const part = runScan(db, { mode: 'digest', dbPath: '', spec, range }, hasher, rules);
          if (part.mode === 'digest') acc.merge(part);
        }
        expect(acc.toDigest()).toEqual(expected);
      }
      const hashes = runScan(db, { mode: 'hashes', dbPath: '', spec, range: null, buckets: [0, 1, 2, 200] }, hasher, rules);
      const want = records.filter((r) => [0, 1, 2, 200].includes(hasher.bucketOf(r.id)));
      expect(hashes.mode === 'hashes' && hashes.ids).toEqual(expect.arrayContaining(want.map((r) => r.id)));
      expect(hashes.mode === 'hashes' && hashes.ids.length).toBe(want.length);
      const byId = new Map(want.map((r) => [r.id, hasher.hash(canonicalRecord(r, rules))]));
      if (hashes.mode === 'hashes') hashes.ids.forEach((id, i) => expect(hashes.hashes[i]).toBe(byId.get(id)));
      db.close();
    });
  }
});
